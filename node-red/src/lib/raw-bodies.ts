// Callback bodies as they arrived. Node-RED's editor API parses the JSON and form bodies of every
// request under httpAdminRoot (with the defaults: every request) before any node's route runs:
// a JSON body declared as a form (Java's HttpURLConnection default) would come out mangled
// ("+" read as a space, "[" as nesting), and a task id over 2^53 rounded. So the editor API's
// app gets one layer in front of its body parsers that marks requests for our callback paths as
// parsed already (body-parser skips those), and the route reads their bytes itself.
//
// Node-RED internals this relies on, checked for 4.1 and 5 (Express 4): the nodes' RED.httpAdmin
// is mounted inside the editor API's app (Express sets `.parent`), whose router stack holds
// body-parser's `jsonParser` layer. Where that is not so, nothing is changed: bodies parsed
// upstream are still read from what the parser made of them (core/callback-body.ts).
import type { IncomingMessage } from 'http';

import type { Handler } from './red';

const UNREAD = Symbol.for('@memories-live-video/node-red/unread-body');
/** On the editor API's app: which paths are ours (set by whichever copy of this module ran last). */
const IS_CALLBACK = Symbol.for('@memories-live-video/node-red/is-callback');

type Layer = { name?: string; handle?: unknown };
type App = {
	use(handler: Handler): unknown;
	parent?: App;
	_router?: { stack: Layer[] };
	router?: { stack: Layer[] };
	[IS_CALLBACK]?: (pathname: string) => boolean;
};

/** Whether the request's body was kept from the editor API's parsers for our route to read. */
export function keptUnread(req: IncomingMessage): boolean {
	return (req as unknown as Record<symbol, unknown>)[UNREAD] === true;
}

/**
 * Keeps the editor API's body parsers off the requests `isCallback` says are ours.
 * @param httpAdmin the nodes' RED.httpAdmin
 * @param isCallback whether a request path (as the client sent it) is one of our callback routes
 */
export function keepCallbackBodiesRaw(httpAdmin: unknown, isCallback: (pathname: string) => boolean): void {
	const editorApi = (httpAdmin as App | undefined)?.parent;
	const stack = (editorApi?._router ?? editorApi?.router)?.stack;
	if (!editorApi || !stack) return;
	const installed = editorApi[IS_CALLBACK] !== undefined;
	editorApi[IS_CALLBACK] = isCallback;
	if (installed) return;
	const parsers = stack.findIndex((layer) => layer.name === 'jsonParser' || layer.name === 'urlencodedParser');
	if (parsers < 0) return;
	const app = editorApi;
	const marker: Handler = (req, _res, next) => {
		const target = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/';
		if (req.method === 'POST' && !req._body && app[IS_CALLBACK]?.(target.split('?')[0]) === true) {
			req._body = true; // body-parser's own "parsed already" flag
			(req as unknown as Record<symbol, unknown>)[UNREAD] = true;
		}
		next();
	};
	editorApi.use(marker);
	const layer = stack.pop() as Layer;
	stack.splice(parsers, 0, layer);
}
