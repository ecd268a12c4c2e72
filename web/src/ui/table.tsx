import type { ReactNode } from 'react';

export interface Column<T> {
  key: string;
  header: string;
  cell: (row: T) => ReactNode;
  numeric?: boolean;
  /** Left out on a phone's narrow screen. */
  wide?: boolean;
}

/**
 * A list as a table that scrolls sideways on a phone. A row with onOpen opens with a click or with
 * Enter (keyboard), and says so to screen readers.
 */
export function Table<T>({ rows, columns, rowKey, onOpen, caption, rowClass }: {
  rows: T[];
  columns: Column<T>[];
  rowKey: (row: T) => string;
  onOpen?: (row: T) => void;
  caption?: string;
  rowClass?: (row: T) => string | undefined;
}) {
  const cls = (c: Column<T>) => [c.numeric ? 'num' : '', c.wide ? 'hide-narrow' : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className="table-wrap">
      <table>
        {caption && <caption className="muted">{caption}</caption>}
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.key} scope="col" className={cls(c)}>
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr
              key={rowKey(row)}
              className={[onOpen ? 'clickable' : '', rowClass?.(row) ?? ''].filter(Boolean).join(' ') || undefined}
              tabIndex={onOpen ? 0 : undefined}
              onClick={onOpen ? () => onOpen(row) : undefined}
              onKeyDown={onOpen ? (e) => e.key === 'Enter' && onOpen(row) : undefined}
            >
              {columns.map((c) => (
                <td key={c.key} className={cls(c)}>
                  {c.cell(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
