// undici's connection pool without the rest of undici. The package's index loads fetch,
// WebSocket, the cache, mocks and more (about 1 MiB: some 60 ms of CPU in every process that
// starts, and a new cluster starts about ten), of which the API client needs the Pool and the
// request API. This does what the index does for those two: the API methods live on
// Dispatcher's prototype.
import Pool from 'undici/lib/dispatcher/pool.js';
import Dispatcher from 'undici/lib/dispatcher/dispatcher.js';
import api from 'undici/lib/api/index.js';

Object.assign(Dispatcher.prototype, api);

export { Pool };
