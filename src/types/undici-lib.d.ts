// Types for the undici modules imported by path (src/http/undici.ts); the
// package ships types only for its index, so these re-use them.
declare module 'undici/lib/dispatcher/dispatcher.js' {
  import type { Dispatcher } from 'undici';
  const DispatcherClass: { prototype: Dispatcher };
  export default DispatcherClass;
}
declare module 'undici/lib/dispatcher/agent.js' {
  import { Agent } from 'undici';
  export default Agent;
}
declare module 'undici/lib/dispatcher/proxy-agent.js' {
  import { ProxyAgent } from 'undici';
  export default ProxyAgent;
}
declare module 'undici/lib/api/index.js' {
  const api: Record<string, unknown>;
  export default api;
}
declare module 'undici/lib/web/websocket/websocket.js' {
  export const WebSocket: unknown;
}
