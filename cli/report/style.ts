/**
 * The few styles the text reporters use, painted by node's util.styleText. Whether to colour is decided once, by
 * cli/report/output-policy.ts; styleText is told not to second-guess it (validateStream: false), and a Painter
 * with colour off returns text unchanged, so renderers never branch on it.
 */
import { styleText } from 'node:util';

export type StyleName = 'red' | 'green' | 'yellow' | 'blue' | 'magenta' | 'cyan' | 'bold' | 'dim';

export type Painter = (style: StyleName | readonly StyleName[], text: string) => string;

export function painter(color: boolean): Painter {
  if (!color) return (_style, text) => text;
  return (style, text) => (text === '' ? text : styleText(typeof style === 'string' ? style : [...style], text, { validateStream: false }));
}
