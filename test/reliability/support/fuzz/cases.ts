// What the fuzz generator produces for either host: requests to a callback receiver, each with the
// verdict the receivers' rule gives it. The verdict is data on each shape, not implied by its
// category: a shape that must become acceptable (a variant of the service, sent after the secret
// matched) changes its verdict in one place, and the hosts' tests, which assert by verdict, follow.
import type { ResultOutput } from '../../../../core';

import type { Random } from './random';

export type Host = 'n8n' | 'node-red';

/** Requests a receiver must refuse, by what is wrong with them. */
export type MalformedCategory =
	| 'secret_missing'
	| 'secret_wrong'
	| 'secret_truncated'
	| 'secret_repeated'
	| 'invalid_json'
	| 'not_an_object'
	| 'wrong_types'
	| 'missing_fields'
	| 'oversized'
	| 'wrong_content_type'
	| 'odd_unicode'
	| 'proto_keys'
	| 'wrong_method'
	| 'wrong_path'
	| 'raw_http';

/**
 * Requests a receiver must accept: `valid` is the documented callback in the forms a sender may
 * give it, and what the service may plausibly send beyond it (its `variant_…` shapes), accepted
 * once the secret matched.
 */
export type AcceptedCategory = 'valid';

export type Category = MalformedCategory | AcceptedCategory | 'replay' | 'client_abort';

/** Why a request is refused; each host's test maps it to the answers it gives. */
export type Refusal =
	| 'secret' // missing or wrong secret: 401
	| 'unreadable' // no callback can be read from the body: 400
	| 'too_large' // 413
	| 'media_type' // not a JSON body: 415
	| 'method' // not a POST: 405
	| 'not_found' // not the receiver's path: 404
	| 'http_syntax' // not HTTP a server can parse: 400
	| 'headers_too_large'; // 431

/** What a receiver must emit for an accepted callback: the core's one output shape, as both hosts emit it. */
export type ExpectedResult = Omit<ResultOutput, 'reason'>;

export type Verdict =
	| { kind: 'refuse'; because: Refusal }
	/** Answered 200 and delivered once, as `result`. */
	| { kind: 'accept'; result: ExpectedResult }
	/** An accepted callback sent again (same task, frame window and status): answered 200, never delivered twice. */
	| { kind: 'replay'; of: number }
	/** The client gives up before the request is complete: no answer is expected. */
	| { kind: 'abort' };

export interface FuzzCase {
	n: number;
	category: Category;
	variant: string;
	/** The target's name (which receiver it is sent to). */
	target: string;
	method: string;
	/** Path and query, as sent. */
	path: string;
	headers: Record<string, string>;
	body?: Buffer;
	/** Send the body with Transfer-Encoding: chunked (no Content-Length). */
	chunked?: boolean;
	/** Bytes written to a raw socket as they are (method RAW). */
	raw?: Buffer;
	verdict: Verdict;
	/** Accepted ones: the unique marker that ends their text. */
	marker?: string;
}

/** A receiver: its path (under the host's root), the secret its callback URL carries. */
export interface FuzzTarget {
	name: string;
	path: string;
	secret: string;
	/** A receiver that takes results of one stream only (n8n's Watch mode): every callback names it. */
	taskId?: string;
}

/** What a shape's builder gets: the case number, its target, the random generator and helpers. */
export interface Context {
	n: number;
	target: FuzzTarget;
	/** The other targets' secrets (secrets that are valid, but not here). */
	otherSecrets: string[];
	random: Random;
	/** `?token=<secret>` for this target, or for the secret given. */
	tokenQuery(secret?: string): string;
	/** A well-formed callback that must never reach a flow (it is sent where something else is wrong). */
	marked(): { status: number; task_id: string; data: { text: string; timestamp: string } };
	/** The frame-window time of case n: unique per case. */
	timestamp: string;
	/** The task id an accepted callback of this case carries (the target's own, if it has one). */
	taskId: string;
}

/** One way of sending a request; the target's path and secret unless it says otherwise. */
export interface Draft {
	method?: string;
	/** Replaces the target's path (the query is added to it). */
	path?: string;
	/** Replaces `?token=<secret>`; '' for none. */
	query?: string;
	headers?: Record<string, string>;
	body?: string | Buffer;
	chunked?: boolean;
	/** Written to a raw socket (latin1). */
	raw?: string;
}

export interface RefusedShape {
	name: string;
	because: Refusal;
	build(context: Context): Draft;
	/** Hosts that do not get this shape, with the reason. */
	notFor?: Partial<Record<Host, string>>;
}

export interface AcceptedShape {
	name: string;
	build(context: Context): { draft: Draft; result: ExpectedResult };
	/** Sets its own task id: not for a target bound to one stream. */
	ownTaskId?: boolean;
	/** Ends its stream: not for a target bound to one stream (that would end the watch). */
	endsStream?: boolean;
	/** Carries no frame window (no timestamp): not for a target bound to one stream (two would look alike). */
	noFrameWindow?: boolean;
	notFor?: Partial<Record<Host, string>>;
}

export const JSON_TYPE = { 'content-type': 'application/json' };
