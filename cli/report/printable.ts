/**
 * Text from data (segment values, emails, answers of a server) made safe to print. A crafted value must not be
 * able to move the cursor, erase lines or reorder text when a CI log or piped output is replayed in a terminal
 * (a row with ESC[1A ESC[2K could wipe the plan's unsubscribe lines from view). Control characters, ESC
 * sequences, DEL, C1 controls and Unicode bidirectional overrides are shown as \u escapes instead.
 */

const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const UNSAFE_IN_VALUE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

const asEscape = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** One value (an email, a name, a reason): every control character escaped, newlines and tabs too. */
export function printable(value: string): string {
  UNSAFE_IN_VALUE.lastIndex = 0;
  return UNSAFE_IN_VALUE.test(value) ? value.replace(UNSAFE_IN_VALUE, asEscape) : value;
}

const SGR = /\u001b\[[0-9;]*m/g;

/**
 * Output written to a log or a pipe (not a live terminal): everything unsafe escaped except line breaks, tabs and
 * the colour sequences acsync itself writes (they cannot move the cursor or erase anything).
 */
export function printableOutput(text: string): string {
  UNSAFE.lastIndex = 0;
  if (!UNSAFE.test(text)) return text;
  let out = '';
  let last = 0;
  SGR.lastIndex = 0;
  for (let m = SGR.exec(text); m !== null; m = SGR.exec(text)) {
    out += text.slice(last, m.index).replace(UNSAFE, asEscape) + m[0];
    last = m.index + m[0].length;
  }
  return out + text.slice(last).replace(UNSAFE, asEscape);
}
