// undici's fetch and proxy-aware dispatcher, in a module of their own so that the registry client
// loads them only once a request is to be sent (client.ts): a static import in the bundle is
// what esbuild turns into undici's named exports.
export { EnvHttpProxyAgent, fetch } from 'undici';
