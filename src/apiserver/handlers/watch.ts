import type { KObject } from '../../api/types.js';
import { apiVersionOf } from '../../api/types.js';
import { StoreError, type WatchEvent } from '../../storage/store.js';
import { storeResource } from '../objects.js';
import { matches, parseFilter } from '../filter.js';
import { parseResourceVersion, waitUntilFresh } from '../resource-version.js';
import type { RestContext } from './context.js';
import { inRequestVersion, metadataMismatch, metadataType, negotiate, partialObjectMetadata, table, TABLE_TYPE } from './negotiation.js';

const BOOKMARK_EVERY_MS = 60_000;
/** A watcher this far behind is cut off rather than buffered without end (upstream does the same). */
const MAX_BUFFERED = 16 * 1024 * 1024;

/**
 * The event being dispatched, parsed once for all the watches that filter it rather than
 * once per watch: a pod's change goes to the kubelet, the scheduler and every controller
 * that selects pods. The store hands one event to every watch before the next, so one slot
 * is enough and nothing outlives the dispatch for long. Read only: rendering parses its own copy.
 */
let current: { ev?: WatchEvent; now?: KObject; prev?: KObject } = {};

function slotOf(ev: WatchEvent): typeof current {
  if (current.ev !== ev) current = { ev };
  return current;
}

function eventObject(ev: WatchEvent): KObject {
  const slot = slotOf(ev);
  return (slot.now ??= JSON.parse(ev.json) as KObject);
}

function previousObject(ev: WatchEvent): KObject {
  const slot = slotOf(ev);
  return (slot.prev ??= JSON.parse(ev.prevJson!) as KObject);
}

/**
 * WATCH (handlers/watch.go): streams events as newline-delimited JSON. Headers are flushed at
 * once so clients do not block on an idle watch; the stream ends at timeoutSeconds or when the
 * client leaves.
 */
export async function watchResource(ctx: RestContext): Promise<void> {
  const { def, info, query, req, res } = ctx;
  const filter = parseFilter(def, query.get('labelSelector'), query.get('fieldSelector'));
  const store = ctx.objects.store;
  const want = negotiate(req.headers.accept);
  // Each event carries one object, so only PartialObjectMetadata fits a watch.
  if (want.as === 'PartialObjectMetadataList') throw metadataMismatch(def, false);
  const asTable = want.as === 'Table';
  const metadataVersion = want.as === 'PartialObjectMetadata' ? want.version : undefined;
  const ns = def.namespaced ? info.namespace : undefined;
  const rvParam = query.get('resourceVersion');
  const sendInitial = query.get('sendInitialEvents') === 'true';
  const bookmarks = query.get('allowWatchBookmarks') === 'true';
  const convert = info.version !== def.storageVersion;
  let headersSent = false; // for Tables: column definitions go with the first event only

  const parsedRv = parseResourceVersion(rvParam);
  const fromRv = parsedRv > 0 ? parsedRv : undefined;
  if (fromRv !== undefined) await waitUntilFresh(store, fromRv);

  res.writeHead(200, {
    'Content-Type': asTable ? TABLE_TYPE : want.as === 'PartialObjectMetadata' ? metadataType(want) : 'application/json',
    'Cache-Control': 'no-cache, private',
    'Transfer-Encoding': 'chunked',
  });
  res.flushHeaders();

  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let ticker: NodeJS.Timeout | undefined;
  const write = (line: string): void => {
    if (closed) return;
    res.write(line + '\n');
    if (res.writableLength > MAX_BUFFERED) finish();
  };

  const render = (type: string, json: string): string => {
    if (!asTable && !metadataVersion && !convert) return `{"type":"${type}","object":${json}}`;
    const obj = JSON.parse(json) as KObject;
    if (asTable) {
      const t = table(ctx, [obj], headersSent) as { metadata: Record<string, unknown> };
      headersSent = true;
      t.metadata = { resourceVersion: obj.metadata.resourceVersion };
      return `{"type":"${type}","object":${JSON.stringify(t)}}`;
    }
    if (metadataVersion) return `{"type":"${type}","object":${JSON.stringify(partialObjectMetadata(obj, metadataVersion))}}`;
    return `{"type":"${type}","object":${JSON.stringify(inRequestVersion(ctx, obj))}}`;
  };

  const onEvent = (ev: WatchEvent): void => {
    if (!filter && want.as === 'Object' && !convert) {
      write(`{"type":"${ev.type}","object":${ev.json}}`);
      return;
    }
    const now = matches(filter, eventObject(ev));
    if (ev.type === 'MODIFIED' && filter) {
      const before = ev.prevJson ? matches(filter, previousObject(ev)) : false;
      if (now && !before) return write(render('ADDED', ev.json));
      if (!now && before) return write(render('DELETED', ev.json));
    }
    if (now) write(render(ev.type, ev.json));
  };

  const bookmark = (extra?: Record<string, string>): string =>
    JSON.stringify({
      type: 'BOOKMARK',
      object: {
        kind: metadataVersion ? 'PartialObjectMetadata' : def.kind,
        apiVersion: metadataVersion ? `meta.k8s.io/${metadataVersion}` : apiVersionOf(def.group, info.version),
        metadata: { resourceVersion: String(store.revision()), creationTimestamp: null, ...(extra ? { annotations: extra } : {}) },
      },
    });

  let stop: (() => void) | undefined;
  try {
    if (fromRv === undefined || sendInitial) {
      // Synthetic ADDED events for the current state, then live changes from this revision.
      for (const e of store.list(storeResource(def), ns)) {
        if (!filter || matches(filter, JSON.parse(e.json) as KObject)) write(render('ADDED', e.json));
      }
      if (sendInitial) write(bookmark({ 'k8s.io/initial-events-end': 'true' }));
      stop = store.watch(storeResource(def), ns, undefined, onEvent);
    } else {
      stop = store.watch(storeResource(def), ns, fromRv, onEvent);
    }
  } catch (e) {
    if (e instanceof StoreError && e.code === 'Expired') {
      write(
        JSON.stringify({
          type: 'ERROR',
          object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: e.message, reason: 'Expired', code: 410 },
        }),
      );
      res.end();
      return;
    }
    throw e;
  }

  if (closed) {
    stop?.();
    return;
  }
  const timeoutSeconds = Number(query.get('timeoutSeconds') ?? 0);
  const lifetime = timeoutSeconds > 0 ? timeoutSeconds * 1000 : (1800 + Math.random() * 1800) * 1000;
  timer = setTimeout(finish, lifetime);
  ticker = bookmarks ? setInterval(() => write(bookmark()), BOOKMARK_EVERY_MS) : undefined;
  timer.unref();
  ticker?.unref();

  function finish(): void {
    if (closed) return;
    closed = true;
    stop?.();
    if (timer) clearTimeout(timer);
    if (ticker) clearInterval(ticker);
    res.end();
  }
  res.on('close', finish);
}
