import { download, toCsv } from './csv.ts';

/** Counts as a table whose rows carry their share as a bar: readable, sortable by eye, exportable. */
export function BarTable({
  title,
  rows,
  file,
  keyLabel,
  empty,
}: {
  title: string;
  rows: { key: string; count: number }[];
  file: string;
  keyLabel: string;
  empty: string;
}) {
  const max = Math.max(1, ...rows.map((r) => r.count));
  const total = rows.reduce((n, r) => n + r.count, 0);
  const id = `t-${file}`;
  return (
    <section className="panel" aria-labelledby={id}>
      <div className="panel-head">
        <h2 id={id}>{title}</h2>
        <button
          type="button"
          className="small"
          disabled={rows.length === 0}
          onClick={() =>
            download(
              `${file}.csv`,
              toCsv(
                [keyLabel, 'count'],
                rows.map((r) => [r.key, r.count]),
              ),
            )
          }
        >
          CSV
        </button>
      </div>
      {rows.length === 0 ? (
        <p className="empty">{empty}</p>
      ) : (
        <table className="grid bars">
          <thead>
            <tr>
              <th scope="col">{keyLabel}</th>
              <th scope="col" className="num">
                count
              </th>
              <th scope="col">
                <span className="sr-only">share</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.key}>
                <td>
                  <code>{row.key}</code>
                </td>
                <td className="num">{row.count.toLocaleString()}</td>
                <td className="bar-cell" aria-hidden="true">
                  <span className="bar" style={{ width: `${(row.count / max) * 75}%` }} />
                  <span className="muted small">
                    {total > 0 ? `${Math.round((row.count / total) * 100)}%` : ''}
                  </span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
