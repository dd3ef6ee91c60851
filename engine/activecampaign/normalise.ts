/**
 * Values ActiveCampaign may store in another spelling than the one sent (issue 15 item 9): phone formatting, a
 * date given a time, a datetime shown in the account's offset, a number's trailing zeros, a multi-value framed
 * by `||`. Which of these AC really does is unverified; comparing both sides in one form keeps a value that comes
 * back respelled from being re-sent on every run, whichever it does. Conservative on purpose: "007" and "7" stay
 * different (a zip code or an id), and so do values that differ in anything but spelling.
 */

const DATE = /^(\d{4}-\d{2}-\d{2})(?:[ T]00:00(?::00)?(?:\.0+)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
const DATETIME = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/;
const DECIMAL = /^-?(?:0|[1-9]\d*)\.\d+$|^-?(?:0|[1-9]\d*)$/;
const PHONE_FORMAT = /[\s().-]/g;

/** True when `current` (read from AC) is `wanted` (what acsync would send) in another spelling. */
export function sameAcValue(field: string, current: string, wanted: string): boolean {
  if (current === wanted) return true;
  const a = current.trim();
  const b = wanted.trim();
  if (a === b) return true;
  if (field === 'phone') return a.replace(PHONE_FORMAT, '') === b.replace(PHONE_FORMAT, '');
  const da = DATE.exec(a);
  const db = DATE.exec(b);
  if (da !== null && db !== null) return da[1] === db[1];
  if (DATETIME.test(a) && DATETIME.test(b)) return Date.parse(a.replace(' ', 'T')) === Date.parse(b.replace(' ', 'T'));
  if (DECIMAL.test(a) && DECIMAL.test(b)) return Number(a) === Number(b);
  if (a.includes('||') || b.includes('||')) {
    const parts = (v: string): string => v.split('||').filter((p) => p !== '').sort().join('\u0000');
    return parts(a) === parts(b);
  }
  return false;
}
