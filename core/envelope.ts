// The API's answer envelopes: the current `{status, task_id, text}` and the older
// `{code, msg, data, success}`, from whatever the host's HTTP client delivered.
import { isPlainObject, own } from './json';

export type Envelope =
	| { shape: 'status'; status: number; taskId?: string; message?: string }
	| { shape: 'legacy'; code: string; data: unknown; message?: string }
	| { shape: 'none'; reason: 'empty' | 'not_json' | 'unrecognised' };

const NOT_JSON = Symbol('not json');

function decode(body: unknown): unknown {
	if (body === undefined || body === null) return undefined;
	if (body instanceof Uint8Array) body = new TextDecoder().decode(body);
	if (typeof body !== 'string') return body;
	const text = body.trim();
	if (text === '') return undefined;
	try {
		return JSON.parse(text) as unknown;
	} catch {
		return NOT_JSON;
	}
}

function messageOf(object: object): string | undefined {
	for (const key of ['text', 'msg', 'message', 'error']) {
		const value = own(object, key);
		if (typeof value === 'string' && value.trim() !== '') return value.trim().slice(0, 300);
	}
	return undefined;
}

export function readEnvelope(body: unknown): Envelope {
	const value = decode(body);
	if (value === undefined) return { shape: 'none', reason: 'empty' };
	if (value === NOT_JSON) return { shape: 'none', reason: 'not_json' };
	if (!isPlainObject(value)) return { shape: 'none', reason: 'unrecognised' };
	const status = own(value, 'status');
	const statusNumber =
		typeof status === 'number' ? status : typeof status === 'string' && /^-?\d+$/.test(status) ? Number(status) : NaN;
	if (Number.isInteger(statusNumber)) {
		const taskId = own(value, 'task_id');
		return {
			shape: 'status',
			status: statusNumber,
			taskId: typeof taskId === 'string' ? taskId : undefined,
			message: messageOf(value),
		};
	}
	const code = own(value, 'code');
	if (typeof code === 'string' || typeof code === 'number') {
		return { shape: 'legacy', code: String(code), data: own(value, 'data'), message: messageOf(value) };
	}
	return { shape: 'none', reason: 'unrecognised' };
}

/** The task id in the older envelope's `data`: the id itself, or `{task_id}` / `{taskId}`. */
export function legacyTaskId(data: unknown): string | undefined {
	if (typeof data === 'string') return data;
	if (isPlainObject(data)) {
		const id = own(data, 'task_id') ?? own(data, 'taskId');
		if (typeof id === 'string') return id;
	}
	return undefined;
}
