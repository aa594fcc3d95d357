// Responses ingress-nginx answers itself, byte for byte as nginx writes them.
//
//   interface PolicyResponse { status: number; headers: Record<string, string>; body: string }
//   nginxStatusText(status: number): string
//     the reason phrase of nginx's status line ("Service Temporarily Unavailable" for 503,
//     "Moved Temporarily" for 302), '' for codes nginx has no text for.
//   nginxPage(status: number, headers?: Record<string, string>): PolicyResponse
//     nginx's built-in page (text/html, `nginx` without version: ingress-nginx turns
//     server_tokens off). 3xx codes 300/304/305/306 and 204 get an empty body, as in nginx.
//   nginxRedirect(status: number, location: string): PolicyResponse   page + Location header
//
import { STATUS_CODES } from 'node:http';
import { httpDate, statusLine } from '../../proxy/http1/serialize.js';
import type { LocalReply, ServerDialect } from '../../proxy/local-reply.js';

// Every policy that ends a request returns a PolicyResponse; the request path writes it with
// ClientRequest.respond (http1/client-connection.ts), which adds nginx's Server, Date,
// Content-Length and Connection headers.

export type PolicyResponse = LocalReply;

// nginx's own wording: status lines from ngx_http_header_filter_module.c, which differ from
// Node's STATUS_CODES in places.
const STATUS_LINE: Record<number, string> = {
  301: 'Moved Permanently',
  302: 'Moved Temporarily',
  303: 'See Other',
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Not Allowed',
  408: 'Request Time-out',
  413: 'Request Entity Too Large',
  414: 'Request-URI Too Large',
  416: 'Requested Range Not Satisfiable',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Temporarily Unavailable',
  501: 'Not Implemented',
  504: 'Gateway Time-out',
  505: 'HTTP Version Not Supported',
};

// The built-in pages (ngx_http_special_response.c) title two codes differently.
const PAGE_TITLE: Record<number, string> = { ...STATUS_LINE, 302: 'Found', 401: 'Authorization Required' };

export function nginxStatusText(status: number): string {
  return STATUS_LINE[status] ?? '';
}

const NO_PAGE = new Set([204, 300, 304, 305, 306]);

export function nginxPage(status: number, headers: Record<string, string> = {}): PolicyResponse {
  if (NO_PAGE.has(status) || PAGE_TITLE[status] === undefined) {
    return { status, headers: { ...headers }, body: '' };
  }
  const title = `${status} ${PAGE_TITLE[status]}`;
  const body =
    `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n` +
    `<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
  return { status, headers: { 'Content-Type': 'text/html', ...headers }, body };
}

/** nginx's answer to a head over large_client_header_buffers (its internal 494, sent as 400). */
export function headerTooLargePage(): PolicyResponse {
  const body =
    '<html>\r\n<head><title>400 Request Header Or Cookie Too Large</title></head>\r\n<body>\r\n' +
    '<center><h1>400 Bad Request</h1></center>\r\n<center>Request Header Or Cookie Too Large</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';
  return { status: 400, headers: { 'Content-Type': 'text/html' }, body };
}

export function nginxRedirect(status: number, location: string): PolicyResponse {
  return nginxPage(status, { Location: location });
}

/** nginx's status line: its own reason phrases where they differ from the usual ones. */
export function nginxStatusLine(status: number, upstreamReason = ''): string {
  return statusLine(status, nginxReason(status, upstreamReason));
}

function nginxReason(status: number, upstreamReason = ''): string {
  return nginxStatusText(status) || STATUS_CODES[status] || upstreamReason;
}

/** nginx's Connection line: always there, whatever the version (ngx_http_header_filter). */
function nginxConnection(keepAlive: boolean): string {
  return keepAlive ? 'Connection: keep-alive\r\n' : 'Connection: close\r\n';
}

/** How the HTTP engine speaks for ingress-nginx: `Server: nginx` and nginx's pages. */
export const NGINX_DIALECT: ServerDialect = {
  server: 'nginx',
  reason: nginxReason,
  refusal: (status, tooLarge) => (tooLarge ? headerTooLargePage() : nginxPage(status)),
  connection: nginxConnection,
  replyHead(page, keepAlive) {
    let head = nginxStatusLine(page.status) + 'Server: nginx\r\nDate: ' + httpDate() + '\r\n';
    for (const k in page.headers) {
      const lower = k.toLowerCase();
      if (lower !== 'connection' && lower !== 'content-length') head += k + ': ' + page.headers[k] + '\r\n';
    }
    return head + 'Content-Length: ' + Buffer.byteLength(page.body) + '\r\n' + nginxConnection(keepAlive);
  },
};
