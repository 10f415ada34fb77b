// Callback routes on RED.httpNode. One express route per path, shared by every results node
// that uses the path: a callback goes to the node whose secret it carries. A node leaving
// removes only itself; the route goes when its last node does.
import type { IncomingMessage, ServerResponse } from 'http';

import { CallbackCheck, CallbackRejection, Limits, checkCallbackRequest, tokenFromQuery, verifySecret } from '../core';
import type { ExpressApp, Handler, NodeAPI } from './red';

export interface CallbackReceiver {
	readonly secret: string;
	/** Called with every authenticated request, valid or not, after the answer was sent. */
	receive(check: CallbackCheck): void;
	/** Called for requests no receiver's secret matched. */
	unauthorised?(): void;
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
	/** `size`: bytes read before giving up (at least the limit). */
	| { kind: 'too_large'; drained: boolean; size: number }
	/** The sender went away before its body was complete: nobody to answer. */
	| { kind: 'gone' };

/** Reads the body up to the limit; a larger one is drained (up to DRAIN_BYTES) or cut off. */
function readLimitedBody(req: IncomingMessage, res: ServerResponse): Promise<Body> {
	return new Promise((resolve) => {
		const declared = Number(req.headers['content-length']);
		if (Number.isFinite(declared) && declared > DRAIN_BYTES) return resolve({ kind: 'too_large', drained: false, size: declared });
		const chunks: Buffer[] = [];
		let size = 0;
		const onData = (chunk: Buffer) => {
			size += chunk.length;
			if (size > DRAIN_BYTES) {
				req.off('data', onData);
				resolve({ kind: 'too_large', drained: false, size });
			} else if (size <= Limits.callbackBodyBytes) {
				chunks.push(chunk);
			}
		};
		req.on('data', onData);
		req.once('end', () =>
			resolve(size > Limits.callbackBodyBytes ? { kind: 'too_large', drained: true, size } : { kind: 'body', data: Buffer.concat(chunks) }),
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

function createHandler(route: { receivers: Set<CallbackReceiver> }): Handler {
	return (req, res) => {
		const token = tokenFromQuery(req.query ?? Object.fromEntries(new URL(req.url ?? '/', 'http://x').searchParams));
		let receiver: CallbackReceiver | undefined;
		for (const candidate of route.receivers) if (verifySecret(candidate.secret, token)) receiver = candidate;
		if (!receiver) {
			// No secret matched: the core's answer for that (405 for a wrong method, else 401).
			const rejection = checkCallbackRequest({ method: req.method ?? '', token: undefined, body: undefined }, '') as CallbackRejection;
			if (rejection.httpStatus === 401) for (const r of route.receivers) r.unauthorised?.();
			return reply(res, rejection.httpStatus, rejection.reason);
		}
		const found = receiver;
		const finish = (body: unknown, bodyIsParsed: boolean, bodyLength?: number) => {
			const check = checkCallbackRequest(
				{ method: req.method ?? '', contentType: req.headers['content-type'], token, body, bodyIsParsed, bodyLength },
				found.secret,
			);
			// Answer first: the sender must not wait for the flow.
			if (check.ok) reply(res, 200);
			else reply(res, check.httpStatus, check.reason);
			found.receive(check);
		};
		if (req._body || req.readableEnded) {
			// Already parsed: by the editor API's JSON parser (it runs first whenever httpAdminRoot is a
			// prefix of the path, as with the defaults) or by httpNodeMiddleware. Its size still counts.
			const declared = Number(req.headers['content-length']);
			const size = Number.isFinite(declared) ? declared : Buffer.byteLength(JSON.stringify(req.body ?? null) ?? '');
			finish(req.body, typeof req.body !== 'string' && !(req.body instanceof Uint8Array), size);
			return;
		}
		void readLimitedBody(req, res).then((body) => {
			if (res.headersSent || body.kind === 'gone') return;
			if (body.kind === 'too_large') {
				if (!body.drained) closeAfterAnswer(req, res);
				finish(undefined, false, body.size);
				return;
			}
			finish(body.data, false);
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
	let route = routes.get(path);
	if (!route) {
		const receivers = new Set<CallbackReceiver>();
		route = { receivers, handler: createHandler({ receivers }) };
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
