// Shared pieces of the console's pages: the htm-bound `html` tag, data loading, tables, a
// virtualised list, dialogs and error boxes.
import { h } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import htm from 'htm';

export const html = htm.bind(h);

// Runs `load` now and whenever `deps` change (and every `refreshMs` when given); the page shows
// the previous data while a refresh runs.
export function useAsync(load, deps = [], refreshMs = 0) {
  const [state, setState] = useState({ data: undefined, error: null, loading: true });
  const generation = useRef(0);
  const run = useCallback(async () => {
    const mine = ++generation.current;
    setState((previous) => ({ ...previous, loading: true }));
    try {
      const data = await load();
      if (mine === generation.current) setState({ data, error: null, loading: false });
    } catch (error) {
      if (mine === generation.current) setState((previous) => ({ data: previous.data, error, loading: false }));
    }
  }, deps);
  useEffect(() => {
    run();
    if (!refreshMs) return undefined;
    const timer = setInterval(run, refreshMs);
    return () => clearInterval(timer);
  }, [run, refreshMs]);
  return { ...state, reload: run };
}

export function ErrorBox({ error }) {
  if (!error) return null;
  return html`<div class="error" role="alert" data-error-code=${error.code || ''}>
    ${error.code ? html`<strong>${error.code}</strong>` : null} ${error.awsMessage ?? error.message}
  </div>`;
}

export function Notice({ text }) {
  return text ? html`<div class="notice" role="status">${text}</div>` : null;
}

// A button running an async action: disabled while it runs, its error shown beside it.
export function ActionButton({ label, action, confirm, kind = '', testid, onDone, disabled }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const click = async () => {
    if (confirm && !window.confirm(confirm)) return;
    setBusy(true);
    setError(null);
    try {
      const result = await action();
      if (onDone) onDone(result);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return html`<span class="action">
    <button class=${kind} data-testid=${testid} disabled=${busy || disabled} onClick=${click}>${busy ? '…' : label}</button>
    ${error ? html`<${ErrorBox} error=${error} />` : null}
  </span>`;
}

export function Modal({ title, onClose, children, testid }) {
  useEffect(() => {
    const onKey = (event) => event.key === 'Escape' && onClose();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);
  return html`<div class="modal-backdrop" onClick=${(e) => e.target === e.currentTarget && onClose()}>
    <div class="modal" role="dialog" aria-label=${title} data-testid=${testid}>
      <header><h3>${title}</h3><button class="plain" aria-label="Close" onClick=${onClose}>×</button></header>
      ${children}
    </div>
  </div>`;
}

// A plain table: columns are {label, value: row => text|vnode}.
export function Table({ columns, rows, onRowClick, rowKey, testid, empty = 'Nothing here yet.' }) {
  if (!rows || rows.length === 0) return html`<p class="empty" data-testid=${testid}>${empty}</p>`;
  return html`<table class="grid" data-testid=${testid}>
    <thead><tr>${columns.map((c) => html`<th>${c.label}</th>`)}</tr></thead>
    <tbody>${rows.map((row, i) => html`<tr key=${rowKey ? rowKey(row) : i} class=${onRowClick ? 'clickable' : ''}
        onClick=${onRowClick ? () => onRowClick(row) : undefined}>
      ${columns.map((c) => html`<td>${c.value(row)}</td>`)}</tr>`)}</tbody>
  </table>`;
}

// A list that renders only the rows in view (plus a margin), so 100k rows cost what 50 do. Rows
// have a fixed height; `renderRow(item, index)` returns the row's cells.
export function VirtualList({ items, rowHeight = 28, height = 480, renderRow, header, onEndReached, testid, contentWidth }) {
  const [scrollTop, setScrollTop] = useState(0);
  const viewport = useRef(null);
  const overscan = 10;
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const last = Math.min(items.length, Math.ceil((scrollTop + height) / rowHeight) + overscan);
  const onScroll = (event) => {
    const top = event.currentTarget.scrollTop;
    setScrollTop(top);
    if (onEndReached && top + height >= items.length * rowHeight - rowHeight * 5 && items.length) onEndReached();
  };
  useEffect(() => {
    if (viewport.current && scrollTop > items.length * rowHeight) viewport.current.scrollTop = 0;
  }, [items.length]);
  const rows = [];
  for (let index = first; index < last; index++) {
    rows.push(html`<div class="vrow" key=${index} data-index=${index}
      style=${`top:${index * rowHeight}px;height:${rowHeight}px`}>${renderRow(items[index], index)}</div>`);
  }
  // The header scrolls sideways with the rows (it sits in the same viewport, stuck to its top).
  const width = contentWidth ? `min-width:${contentWidth}px;` : '';
  return html`<div class="vlist" data-testid=${testid}>
    <div class="vviewport" ref=${viewport} style=${`height:${height}px`} onScroll=${onScroll}>
      ${header ? html`<div class="vheader" style=${width}>${header}</div>` : null}
      <div class="vspacer" style=${`${width}height:${items.length * rowHeight}px`}>${rows}</div>
    </div>
  </div>`;
}

export function Field({ label, children }) {
  return html`<label class="field"><span>${label}</span>${children}</label>`;
}

export function formatBytes(count) {
  const n = Number(count);
  if (!Number.isFinite(n)) return '';
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

export function formatTime(value) {
  if (value == null || value === '') return '';
  // awsJson timestamps are epoch seconds; SQS attributes are epoch seconds as strings.
  const date = typeof value === 'number' || /^\d+(\.\d+)?$/.test(value) ? new Date(Number(value) * 1000) : new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function Tabs({ tabs, current, onChange }) {
  return html`<nav class="tabs">${tabs.map((t) => html`<button class=${t === current ? 'active' : ''}
    data-testid=${'tab-' + t.toLowerCase().replace(/\W+/g, '-')} onClick=${() => onChange(t)}>${t}</button>`)}</nav>`;
}
