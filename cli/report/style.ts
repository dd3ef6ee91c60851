/**
 * The few ANSI styles the text reporters use. Colour is decided once by the caller (NO_COLOR, --no-color, a TTY);
 * a Painter with colour off returns text unchanged, so renderers never branch on it.
 */
const CODES = {
  red: 31,
  green: 32,
  yellow: 33,
  blue: 34,
  magenta: 35,
  cyan: 36,
  bold: 1,
  dim: 2,
} as const;

export type StyleName = keyof typeof CODES;

export type Painter = (style: StyleName | readonly StyleName[], text: string) => string;

export function painter(color: boolean): Painter {
  if (!color) return (_style, text) => text;
  return (style, text) => {
    if (text === '') return text;
    const names = typeof style === 'string' ? [style] : style;
    const open = names.map((n) => `\u001b[${CODES[n]}m`).join('');
    return `${open}${text}\u001b[0m`;
  };
}
