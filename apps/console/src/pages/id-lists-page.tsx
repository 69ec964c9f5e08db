import { type FormEvent, useRef, useState } from 'react';
import { usePermission } from '../access/access-context.js';
import { type ApiError, toApiError } from '../api/client.js';
import type { IdList } from '../api/types.js';
import { useApi, useMutation, useResource } from '../api/use-api.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { Field, FieldErrors } from '../components/field-errors.js';
import { EmptyState, ErrorBanner, Loaded } from '../components/status.js';
import { formatBytes, formatCount, formatDateTime, formatRelative } from '../format.js';
import { splitList } from '../gates/condition-model.js';

/**
 * ID lists: upload a file of IDs (one per line, or CSV's first column) with a progress bar,
 * add or remove IDs, delete a list. Segments use a list as their members.
 */
export function IdListsPage() {
  const lists = useResource<{ idLists: IdList[] }>('/id_lists');
  const [selected, setSelected] = useState<string | null>(null);
  const write = usePermission('editor');
  return (
    <section aria-labelledby="id-lists-title">
      <h1 id="id-lists-title">ID lists</h1>
      <p className="muted">
        Large sets of IDs (customers, accounts) that conditions and segments check membership of.
      </p>
      {write.allowed ? (
        <UploadForm onUploaded={() => void lists.reload()} />
      ) : (
        <p className="read-only-hint">{write.reason}</p>
      )}
      <Loaded resource={lists} label="ID lists">
        {({ idLists }) =>
          idLists.length === 0 ? (
            <EmptyState title="No ID lists yet">
              <p>Upload a text file with one ID per line, or a CSV file.</p>
            </EmptyState>
          ) : (
            <table className="table" aria-label="ID lists">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">IDs</th>
                  <th scope="col">File size</th>
                  <th scope="col">Last change</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {idLists.map((list) => (
                  <tr key={list.name} className={selected === list.name ? 'selected' : undefined}>
                    <th scope="row">{list.name}</th>
                    <td>{formatCount(list.entryCount)}</td>
                    <td>{formatBytes(list.size)}</td>
                    <td title={formatDateTime(list.updatedAt)}>{formatRelative(list.updatedAt)}</td>
                    <td>
                      <button
                        type="button"
                        className="small"
                        aria-pressed={selected === list.name}
                        disabled={!write.allowed}
                        title={write.reason}
                        onClick={() => setSelected(selected === list.name ? null : list.name)}
                      >
                        Edit {list.name}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Loaded>
      {selected && lists.data?.idLists.some((l) => l.name === selected) && (
        <ChangeIds
          key={selected}
          list={lists.data.idLists.find((l) => l.name === selected) as IdList}
          onChanged={() => void lists.reload()}
          onDeleted={() => {
            setSelected(null);
            void lists.reload();
          }}
        />
      )}
    </section>
  );
}

function UploadForm({ onUploaded }: { onUploaded: () => void }) {
  const api = useApi();
  const [name, setName] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [header, setHeader] = useState(false);
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<ApiError | undefined>();
  const [result, setResult] = useState<string | null>(null);
  const abort = useRef<(() => void) | null>(null);
  const csv = file ? /\.csv$/i.test(file.name) || file.type === 'text/csv' : false;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!file) return;
    setError(undefined);
    setResult(null);
    setProgress(0);
    const upload = api.upload<IdList & { ids: number }>(
      `/id_lists/${encodeURIComponent(name.trim())}`,
      file,
      {
        contentType: csv ? 'text/csv' : 'text/plain',
        query: { header: csv && header ? 'true' : undefined },
        onProgress: setProgress,
      },
    );
    abort.current = upload.abort;
    try {
      const uploaded = await upload.promise;
      setResult(
        `${uploaded.name}: ${formatCount(uploaded.ids)} lines read, ${formatCount(uploaded.entryCount)} distinct IDs.`,
      );
      onUploaded();
    } catch (caught) {
      setError(toApiError(caught));
    } finally {
      abort.current = null;
      setProgress(null);
    }
  };

  return (
    <form className="card" onSubmit={submit} aria-label="Upload an ID list">
      <h2>Upload a list</h2>
      <p className="muted small">
        Creates the list, or replaces all of its IDs. One ID per line; CSV files use their first column.
      </p>
      <FieldErrors error={error}>
        <div className="inline-form">
          <Field label="List name" path="params.name">
            {(props) => (
              <input
                {...props}
                required
                spellCheck={false}
                value={name}
                onChange={(e) => setName(e.target.value)}
              />
            )}
          </Field>
          <Field label="File" path="body">
            {(props) => (
              <input
                {...props}
                type="file"
                required
                accept=".txt,.csv,text/plain,text/csv"
                onChange={(e) => setFile(e.target.files?.[0] ?? null)}
              />
            )}
          </Field>
          {csv && (
            <label className="inline">
              <input type="checkbox" checked={header} onChange={(e) => setHeader(e.target.checked)} />
              First line is a header
            </label>
          )}
          <button type="submit" className="primary" disabled={progress !== null || !file || !name.trim()}>
            Upload
          </button>
          {progress !== null && (
            <button type="button" onClick={() => abort.current?.()}>
              Cancel upload
            </button>
          )}
        </div>
      </FieldErrors>
      {progress !== null && (
        <div>
          <label htmlFor="upload-progress" className="small">
            Uploading {file ? formatBytes(file.size) : ''}: {Math.round(progress * 100)}%
          </label>
          <progress id="upload-progress" max={1} value={progress} />
        </div>
      )}
      {result && (
        <p className="success" role="status">
          {result}
        </p>
      )}
      <ErrorBanner error={error} title="Upload failed" />
    </form>
  );
}

function ChangeIds({
  list,
  onChanged,
  onDeleted,
}: {
  list: IdList;
  onChanged: () => void;
  onDeleted: () => void;
}) {
  const api = useApi();
  const [ids, setIds] = useState('');
  const [result, setResult] = useState<string | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const change = useMutation(async (action: 'add' | 'remove') =>
    api.post<IdList & { added?: number; removed?: number; unchanged: number }>(
      `/id_lists/${encodeURIComponent(list.name)}/${action}`,
      { ids: splitList(ids) },
    ),
  );
  const remove = useMutation(async () => {
    await api.delete<null>(`/id_lists/${encodeURIComponent(list.name)}`);
    return true;
  });
  const run = async (action: 'add' | 'remove') => {
    setResult(null);
    const done = await change.run(action);
    if (done) {
      setResult(
        action === 'add'
          ? `Added ${formatCount(done.added ?? 0)} (${formatCount(done.unchanged)} already in).`
          : `Removed ${formatCount(done.removed ?? 0)} (${formatCount(done.unchanged)} were not in).`,
      );
      setIds('');
      onChanged();
    }
  };
  return (
    <section className="card" aria-labelledby="change-ids-title">
      <h2 id="change-ids-title">Change {list.name}</h2>
      <FieldErrors error={change.error}>
        <Field label="IDs to add or remove" path="ids" hint="One per line (or comma-separated)">
          {(props) => <textarea {...props} rows={4} value={ids} onChange={(e) => setIds(e.target.value)} />}
        </Field>
      </FieldErrors>
      <div className="button-row">
        <button type="button" disabled={change.pending || !ids.trim()} onClick={() => run('add')}>
          Add IDs
        </button>
        <button type="button" disabled={change.pending || !ids.trim()} onClick={() => run('remove')}>
          Remove IDs
        </button>
        <button type="button" className="danger-text" onClick={() => setConfirmDelete(true)}>
          Delete list
        </button>
      </div>
      {result && (
        <p className="success" role="status">
          {result}
        </p>
      )}
      <ErrorBanner error={change.error} title="Not changed" />
      {confirmDelete && (
        <ConfirmDialog
          title={`Delete ${list.name}?`}
          confirmLabel="Delete list"
          tone="danger"
          pending={remove.pending}
          error={remove.error}
          onCancel={() => setConfirmDelete(false)}
          onConfirm={async () => {
            if (await remove.run()) {
              setConfirmDelete(false);
              onDeleted();
            }
          }}
        >
          <p>
            Every check against it then fails "in" and passes "not in". Uploading to the same name recreates
            it.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}
