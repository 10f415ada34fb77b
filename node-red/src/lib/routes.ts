// Callback routes on RED.httpNode. One express route per path, shared by every results node
// that uses the path: a callback goes to the node whose secret it carries. A node leaving
// removes only itself; the route goes when its last node does.
import type { IncomingMessage, ServerResponse } from 'http';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'zlib';

import { CallbackBody, CallbackCheck, CallbackRejection, ContentDecoder, Limits, checkCallback } from '../../../core';
import { keepCallbackBodiesRaw, keptUnread } from './raw-bodies';
import type { ExpressApp, Handler, NodeAPI } from './red';

export interface CallbackReceiver {
	readonly secret: string;
	/** Called with every request that carried its secret, valid or not, after the answer was sent. */
	receive(check: CallbackCheck): void;
	/** Called for requests no receiver's secret matched (a 401, or a 405 for another method). */
	unauthorised?(refusal: CallbackRejection): void;
}

interface PathRoute {
	receivers: Set<CallbackReceiver>;
	handler: Handler;
}

const routesByApp = new WeakMap<ExpressApp, Map<string, PathRoute>>();

function reply(res: ServerResponse, httpStatus: number, reason?: string): void {
	if (reason === undefined) {
		res.writeHead(httpStatus, { 'Content-Length': '0' });
		res.end();
		return;
	}
	const body = JSON.stringify({ error: reason });
	res.writeHead(httpStatus, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
	res.end(body);
}

/**
 * An oversized body up to this size is read to its end (and thrown away) before the 413 goes
 * out: a sender still writing its body when the socket closes sees a reset instead of the 413.
 * Only a sender holding the secret gets this far; a body larger still is cut off (the connection
 * closed) rather than read.
 */
const DRAIN_BYTES = 16 * Limits.callbackBodyBytes;

type Body =
	| { kind: 'body'; data: Buffer }
	/** `drained`: read to its end (and thrown away); else cut off. */
	| { kind: 'too_large'; drained: boolean }
	/** The sender went away before its body was complete: nobody to answer. */
	| { kind: 'gone' };

/** Reads the body up to the limit; a larger one is drained (up to DRAIN_BYTES) or cut off. */
function readLimitedBody(req: IncomingMessage, res: ServerResponse): Promise<Body> {
	return new Promise((resolve) => {
		const declared = Number(req.headers['content-length']);
		if (Number.isFinite(declared) && declared > DRAIN_BYTES) return resolve({ kind: 'too_large', drained: false });
		const chunks: Buffer[] = [];
		let size = 0;
		const onData = (chunk: Buffer) => {
			size += chunk.length;
			if (size > DRAIN_BYTES) {
				req.off('data', onData);
				resolve({ kind: 'too_large', drained: false });
			} else if (size <= Limits.callbackBodyBytes) {
				chunks.push(chunk);
			}
		};
		req.on('data', onData);
		req.once('end', () =>
			resolve(size > Limits.callbackBodyBytes ? { kind: 'too_large', drained: true } : { kind: 'body', data: Buffer.concat(chunks) }),
		);
		req.once('error', () => resolve({ kind: 'gone' }));
		res.once('close', () => resolve({ kind: 'gone' }));
	});
}

/** A body not read to its end: the connection closes after the answer (it cannot carry another request). */
function closeAfterAnswer(req: IncomingMessage, res: ServerResponse): void {
	res.setHeader('Connection', 'close');
	res.once('finish', () => req.destroy());
}

/** The sender went away before its body was complete: nobody to answer. */
const SENDER_GONE = Symbol('sender gone');

/** Content-Encoding a sender may use, decoded no larger than the limit (a compressed bomb is refused). */
const decodeContent: ContentDecoder = (raw, encoding, maxBytes) => {
	const decode = { gzip: gunzipSync, 'x-gzip': gunzipSync, deflate: inflateSync, br: brotliDecompressSync }[encoding];
	if (!decode) return undefined;
	try {
		return new Uint8Array(decode(raw, { maxOutputLength: maxBytes }));
	} catch (error) {
		return (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' ? 'too_large' : undefined;
	}
};

/** The body as the core reads it: parsed already (by the editor API's parser or httpNodeMiddleware), or read on demand. */
function bodyOf(req: Parameters<Handler>[0], res: ServerResponse): CallbackBody | (() => Promise<CallbackBody>) {
	// Already parsed: by httpNodeMiddleware, or by the editor API's parsers (they run first whenever
	// httpAdminRoot is a prefix of the path, as with the defaults) where they could not be kept
	// off our requests (raw-bodies.ts).
	if ((req._body && !keptUnread(req)) || req.readableEnded) {
		return typeof req.body === 'string' || req.body instanceof Uint8Array ? { raw: req.body } : { parsed: req.body };
	}
	return async () => {
		const body = await readLimitedBody(req, res);
		if (body.kind === 'gone') throw SENDER_GONE;
		if (body.kind === 'body') return { raw: body.data };
		if (!body.drained) closeAfterAnswer(req, res);
		return { tooLarge: true };
	};
}

/** A body the core refused unread (declared too large): drained like one read, so the sender sees the answer. */
async function settleUnread(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
	if (req.readableEnded) return true;
	const body = await readLimitedBody(req, res);
	if (body.kind === 'gone') return false;
	if (body.kind === 'too_large' && !body.drained) closeAfterAnswer(req, res);
	return true;
}

/** Checks one request with the core, answers it, and hands it to the receiver whose secret it carried. */
async function receive(receivers: readonly CallbackReceiver[], req: Parameters<Handler>[0], res: ServerResponse): Promise<void> {
	const body = bodyOf(req, res);
	let bodyRead = typeof body !== 'function';
	const bodyIsRaw = typeof body === 'function';
	const check = await checkCallback(
		{
			method: req.method ?? '',
			contentType: req.headers['content-type'],
			contentLength: req.headers['content-length'],
			query: req.query ?? Object.fromEntries(new URL(req.url ?? '/', 'http://x').searchParams),
			url: (req as { originalUrl?: string }).originalUrl ?? req.url,
			// A parser upstream decoded what it parsed; raw bytes still carry their encoding.
			...(bodyIsRaw ? { contentEncoding: req.headers['content-encoding'], decodeContent } : {}),
			body:
				typeof body === 'function'
					? () => {
							bodyRead = true;
							return body();
						}
					: body,
		},
		receivers.map((r) => r.secret),
	);
	if (check.matched !== undefined && !bodyRead && !(await settleUnread(req, res))) return;
	if (res.headersSent) return;
	// Answer first: the sender must not wait for the flow.
	if (check.ok) reply(res, 200);
	else reply(res, check.httpStatus, check.reason);
	if (check.matched !== undefined) receivers[check.matched].receive(check);
	else if (!check.ok) for (const r of receivers) r.unauthorised?.(check);
}

function createHandler(RED: NodeAPI, route: { receivers: Set<CallbackReceiver> }): Handler {
	return (req, res) => {
		receive([...route.receivers], req, res).catch((error: unknown) => {
			if (error === SENDER_GONE) return;
			// Never an unhandled rejection, which would end Node-RED: a 500 without details, the reason logged.
			RED.log.warn(`memories.ai results: a callback could not be processed: ${error instanceof Error ? error.message : String(error)}`);
			if (!res.headersSent) reply(res, 500, 'The callback could not be processed.');
		});
	};
}

function middlewareOf(RED: NodeAPI): Handler[] {
	const middleware = RED.settings.httpNodeMiddleware;
	if (typeof middleware === 'function') return [middleware];
	if (Array.isArray(middleware)) return middleware.filter((m): m is Handler => typeof m === 'function');
	return [];
}

/** Express 4 keeps routes in `_router`, Express 5 (Node-RED 5) in `router`. */
function stackOf(app: ExpressApp) {
	return (app._router ?? app.router)?.stack;
}

/** Whether a request path (under the server's root) is one of `routes`, matched as Express matches them. */
function isCallbackPath(RED: NodeAPI, routes: Map<string, PathRoute>): (pathname: string) => boolean {
	return (pathname) => {
		const root = (typeof RED.settings.httpNodeRoot === 'string' ? RED.settings.httpNodeRoot : '/').replace(/\/+$/, '');
		const lower = pathname.toLowerCase().replace(/\/+$/, '');
		if (!lower.startsWith(root.toLowerCase())) return false;
		const relative = lower.slice(root.length);
		for (const path of routes.keys()) if (path.toLowerCase() === relative) return true;
		return false;
	};
}

/**
 * Adds a receiver for POSTs to `path` (relative to httpNodeRoot).
 * @returns a function that removes exactly this receiver
 */
export function addCallbackRoute(RED: NodeAPI, path: string, receiver: CallbackReceiver): () => void {
	const app = RED.httpNode;
	// With httpNodeRoot false Node-RED still creates RED.httpNode but never mounts it.
	if (!app || RED.settings.httpNodeRoot === false) throw new Error('Node-RED serves no HTTP nodes here (httpNodeRoot is false): results cannot be received.');
	let routes = routesByApp.get(app);
	if (!routes) routesByApp.set(app, (routes = new Map()));
	keepCallbackBodiesRaw(RED.httpAdmin, isCallbackPath(RED, routes));
	let route = routes.get(path);
	if (!route) {
		const receivers = new Set<CallbackReceiver>();
		route = { receivers, handler: createHandler(RED, { receivers }) };
		routes.set(path, route);
		app.all(path, ...middlewareOf(RED), route.handler);
	}
	route.receivers.add(receiver);
	const owned = route;
	return () => {
		owned.receivers.delete(receiver);
		if (owned.receivers.size > 0 || routes!.get(path) !== owned) return;
		routes!.delete(path);
		const stack = stackOf(app);
		const index = stack?.findIndex((layer) => layer.route?.stack.some((s) => s.handle === owned.handler)) ?? -1;
		if (stack && index >= 0) stack.splice(index, 1);
	};
}
