/**
 * Plain-text tables for the admin CLI's human output (`--json` is for scripts). No colours and no
 * box drawing, so the output pastes into a ticket or a terminal of any width unchanged.
 */

export type Cell = string | number | boolean | null;

export type Column<Row> = {
  header: string;
  /** The cell of this column in a row. */
  value: (row: Row) => Cell;
  /** Numbers default to the right, everything else to the left. */
  align?: 'left' | 'right';
};

/**
 * Control and format characters (ANSI escapes, newlines, tabs, bidi overrides, zero-width ones)
 * in a cell are shown as `\u…`: threat, an email or username chosen by a user that rewrites the
 * operator's terminal, hides the rows around it (`\u001b[2K`, `\r`) or reads backwards (U+202E).
 */
const UNSAFE = /[\p{Cc}\p{Cf}]/gu;

function show(cell: Cell): string {
  if (cell === null) return '-';
  if (typeof cell === 'boolean') return cell ? 'yes' : 'no';
  return String(cell).replace(
    UNSAFE,
    (char) => `\\u${(char.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`,
  );
}

/** Width in code points, so an accented address does not shift its row. */
const width = (text: string) => [...text].length;

function pad(text: string, size: number, align: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, size - width(text)));
  return align === 'right' ? fill + text : text + fill;
}

/**
 * The rows under a header line and a dashed rule, columns two spaces apart, no trailing spaces.
 * An empty list prints `emptyText` instead, so "nothing found" is said rather than a bare header.
 */
export function formatTable<Row>(
  columns: readonly Column<Row>[],
  rows: readonly Row[],
  emptyText = '(none)',
): string {
  if (rows.length === 0) return `${emptyText}\n`;
  const cells = rows.map((row) => columns.map((column) => column.value(row)));
  const aligns = columns.map(
    (column, index) =>
      column.align ?? (cells.every((row) => typeof row[index] === 'number') ? 'right' : 'left'),
  );
  const texts = cells.map((row) => row.map(show));
  const widths = columns.map((column, index) =>
    Math.max(width(column.header), ...texts.map((row) => width(row[index] ?? ''))),
  );
  const line = (values: readonly string[]) =>
    values
      .map((value, index) => pad(value, widths[index] ?? 0, aligns[index] ?? 'left'))
      .join('  ')
      .trimEnd();
  return [
    line(columns.map((column) => show(column.header))),
    line(widths.map((size) => '-'.repeat(size))),
    ...texts.map(line),
  ]
    .map((text) => `${text}\n`)
    .join('');
}
