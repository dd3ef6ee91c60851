/** A problem with a segment file that the user can fix: it names the file, the line when there is one, and what to do. */
export class SegmentError extends Error {
  override name = 'SegmentError';
  /** The file as the user named it (the config's `segment:` value when known). */
  readonly file: string;
  /** 1-based line; absent when the problem is the file as a whole (missing, a directory, empty). */
  readonly line?: number;
  readonly column?: number;
  readonly hint: string;

  constructor(init: { message: string; file: string; hint: string; line?: number; column?: number }) {
    super(init.line === undefined ? `${init.file}: ${init.message}` : `${init.file}:${init.line}: ${init.message}`);
    this.file = init.file;
    this.hint = init.hint;
    if (init.line !== undefined) this.line = init.line;
    if (init.column !== undefined) this.column = init.column;
  }
}
