/**
 * Plain text laid out for a width: the terminal's when the text goes to one, else PLAIN_WIDTH, so a log, a pipe or
 * a file reads well in an 80-column window. A line longer than the width breaks between words (never inside one:
 * a terminal's own wrap gave "Ctrl-C a" / "gain"), and what follows is indented under the line's own indent, so a
 * wrapped note stays visibly part of its row. Only a single word longer than the width (a very long email) is
 * left as it is.
 */

/** Logs, pipes and files: the width a reader's window can be trusted to have. */
export const PLAIN_WIDTH = 80;

// eslint-disable-next-line no-control-regex
const SGR = /\u001b\[[0-9;]*m/g;

/** Columns a string takes on screen (colour codes take none). */
export function visibleLength(text: string): number {
  return [...text.replace(SGR, '')].length;
}

/** One line broken between words to fit `width`; continuation lines get the line's indent plus two spaces. */
export function wrapLine(line: string, width: number): string[] {
  if (visibleLength(line) <= width) return [line];
  const indent = /^ */.exec(line.replace(SGR, ''))?.[0].length ?? 0;
  const more = ' '.repeat(Math.min(indent + 2, Math.floor(width / 2)));
  const words = line.slice(leadingSpaces(line)).split(/(?<=\S) +(?=\S)/);
  const lines: string[] = [];
  let current = line.slice(0, leadingSpaces(line));
  let currentHasWord = false;
  for (const word of words) {
    const candidate = currentHasWord ? `${current} ${word}` : current + word;
    if (!currentHasWord || visibleLength(candidate) <= width) {
      current = candidate;
      currentHasWord = true;
      continue;
    }
    lines.push(current);
    current = more + word;
  }
  lines.push(current);
  return lines;
}

/** A stack frame (`    at fn (file:line:col)`) of an internal error: kept whole, to be copied into a bug report. */
const STACK_FRAME = /^\s+at \S/;

/** Every line of a text wrapped (see wrapLine), stack frames excepted. */
export function wrapText(text: string, width: number): string {
  return text
    .split('\n')
    .flatMap((line) => (STACK_FRAME.test(line) ? [line] : wrapLine(line, width)))
    .join('\n');
}

/** Leading spaces, counted in the string itself (a colour code may come before the first word, not before them). */
function leadingSpaces(line: string): number {
  return /^ */.exec(line)?.[0].length ?? 0;
}
