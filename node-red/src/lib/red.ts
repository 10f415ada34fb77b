// The parts of Node-RED's runtime API these nodes use, typed here (no @types/node-red: it lags
// behind Node-RED and would be a dependency for four interfaces).
import type { IncomingMessage, ServerResponse } from 'http';

import type { AnswerFormat, DailyBudgetCheck, Transport } from '../../../core';

export type NodeStatus = { fill?: 'red' | 'green' | 'yellow' | 'blue' | 'grey'; shape?: 'ring' | 'dot'; text?: string };

export interface NodeMessage {
	_msgid?: string;
	payload?: unknown;
	topic?: string;
	[key: string]: unknown;
}

export interface Node {
	id: string;
	type: string;
	z?: string;
	name?: string;
	credentials?: Record<string, string | undefined>;
	on(event: 'input', listener: (msg: NodeMessage, send: (msg: NodeMessage | Array<NodeMessage | null>) => void, done: (err?: Error) => void) => void): void;
	on(event: 'close', listener: (removed: boolean, done: () => void) => void): void;
	send(msg: NodeMessage | Array<NodeMessage | null>): void;
	status(status: NodeStatus | Record<string, never>): void;
	log(message: string): void;
	warn(message: string): void;
	error(message: string | Error, msg?: NodeMessage): void;
	debug(message: string): void;
	/** The node's context store (missing in some test runtimes). */
	context?(): { get(key: string): unknown; set(key: string, value: unknown): void };
}

export type Handler = (req: IncomingMessage & { body?: unknown; _body?: boolean; query?: Record<string, unknown> }, res: ServerResponse & { status?: unknown }, next: (err?: unknown) => void) => void;

export interface ExpressApp {
	all(path: string, ...handlers: Handler[]): void;
	_router?: { stack: Array<{ route?: { path: string; stack: Array<{ handle: unknown }> } }> };
	router?: { stack: Array<{ route?: { path: string; stack: Array<{ handle: unknown }> } }> };
}

export interface NodeAPI {
	nodes: {
		createNode(node: Node, config: NodeDef): void;
		registerType<T extends Node, P extends NodeDef>(type: string, constructor: (this: T, props: P) => void, options?: { credentials?: Record<string, { type: 'text' | 'password' }> }): void;
		getNode(id: string): Node | null;
	};
	httpNode?: ExpressApp;
	/** The runtime's admin app (mounted inside the editor API's app, see raw-bodies.ts). */
	httpAdmin?: unknown;
	settings: { httpNodeRoot?: string | false; httpNodeMiddleware?: Handler | Handler[]; [key: string]: unknown };
	_(key: string, substitutions?: Record<string, unknown>): string;
	log: { info(m: string): void; warn(m: string): void; debug(m: string): void };
}

export interface NodeDef {
	id: string;
	type: string;
	name?: string;
	z?: string;
	[key: string]: unknown;
}

// Each node set is bundled on its own (dist/nodes/*.js, the core inlined in each), so what one
// node hands another must be plain data, or functions taking and returning plain data: a class
// instance (an error, a client) made by one bundle fails `instanceof` in another.

/** What the start and stop nodes use of a memories-live-config node. */
export interface ConfigNode extends Node {
	/** The Base URL as the core reads it (empty: the real service); one it refuses is kept as typed. */
	baseUrl: string;
	publicUrl: string;
	credentials?: { apiKey?: string };
	/** Sends API requests over this account's connection pool. */
	transport: Transport;
	/** Values never to show in a status, log or error. */
	secrets(): string[];
	/** The account's daily budget of stream-minutes today (estimates), if it has one. */
	budget?(): Omit<DailyBudgetCheck, 'usage'> | undefined;
	/** Why the daily budget set cannot be applied (starts are refused until it is fixed). */
	budgetProblem?: string;
}

/** What a start node uses of a memories-live-results node. */
export interface ResultsNode extends Node {
	/** The callback URL for this node, with its secret, under `publicUrl`. */
	callbackUrl(publicUrl: string): string;
	/** How answers are to be given (plain data): the start node composes the prompt with it. */
	answerFormat?(): AnswerFormat;
}
