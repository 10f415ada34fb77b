import { DEFAULT_BASE_URL, DEFAULT_SYSTEM_PROMPT, Limits } from './contract';
import { InputError } from './errors';

/** Start input as a host collects it: editor fields or message properties, not yet checked. */
export interface StartInput {
	rtmpUrl: unknown;
	userPrompt: unknown;
	systemPrompt?: unknown;
	callbackUrl: unknown;
	thinking?: unknown;
}

/** Start parameters that passed validation, ready for `buildStartRequest`. */
export interface StartParams {
	rtmpUrl: string;
	userPrompt: string;
	systemPrompt: string;
	callbackUrl: string;
	thinking: boolean;
}

type Check<T> = { ok: true; value: T } | { ok: false; problem: string };

const ok = <T>(value: T): Check<T> => ({ ok: true, value });
const problem = <T>(text: string): Check<T> => ({ ok: false, problem: text });

/** The scheme of a URL-like string, without echoing the rest (RTMP URLs often hold stream keys). */
function schemeOf(text: string): string | undefined {
	return /^([a-z][a-z0-9+.-]*):/i.exec(text)?.[1]?.toLowerCase();
}

function checkUrl(
	field: string,
	value: unknown,
	schemes: readonly string[],
	example: string,
	purpose: string,
): Check<string> {
	if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) {
		return problem(`${field} is empty. ${purpose} e.g. ${example}.`);
	}
	if (typeof value !== 'string') return problem(`${field} must be text, e.g. ${example}.`);
	const text = value.trim();
	if (text.length > Limits.urlLength) {
		return problem(`${field} is longer than ${Limits.urlLength} characters.`);
	}
	if (/\s/.test(text)) return problem(`${field} contains spaces or line breaks; remove them.`);
	const scheme = schemeOf(text);
	const allowed = schemes.map((s) => `${s}://`).join(' or ');
	if (!scheme || !schemes.includes(scheme)) {
		const seen = scheme ? ` (this one starts with "${scheme}:")` : '';
		return problem(`${field} must start with ${allowed}${seen}. ${purpose} e.g. ${example}.`);
	}
	let parsed: URL;
	try {
		parsed = new URL(text);
	} catch {
		return problem(`${field} is not a valid address. Use the form ${example}.`);
	}
	if (!parsed.hostname) return problem(`${field} has no host name. Use the form ${example}.`);
	return ok(text);
}

function checkPrompt(field: string, value: unknown, emptyAdvice: string): Check<string> {
	if (value === undefined || value === null) return problem(`${field} is empty. ${emptyAdvice}`);
	if (typeof value !== 'string') return problem(`${field} must be text.`);
	const text = value.trim();
	if (text === '') return problem(`${field} is empty. ${emptyAdvice}`);
	if (text.length > Limits.promptLength) {
		return problem(
			`${field} is longer than ${Limits.promptLength} characters (it has ${text.length}). Shorten it.`,
		);
	}
	return ok(text);
}

/** Accepts booleans and the strings "true"/"false" (message properties often arrive as text). */
export function checkThinking(value: unknown): Check<boolean> {
	if (value === undefined || value === null || value === '') return ok(false);
	if (typeof value === 'boolean') return ok(value);
	if (typeof value === 'string' && /^(true|false)$/i.test(value.trim())) {
		return ok(value.trim().toLowerCase() === 'true');
	}
	return problem('Thinking must be true or false.');
}

const checkRtmpUrl = (value: unknown) =>
	checkUrl(
		'RTMP URL',
		value,
		['rtmp', 'rtmps'],
		'rtmp://camera.example.com:1935/live/stream',
		'memories.ai watches live RTMP streams only (no video files or web pages): enter the address your camera or encoder publishes to,',
	);

const checkUserPrompt = (value: unknown) =>
	checkPrompt('User Prompt', value, 'Say what to watch for in each frame window, e.g. "Tell me when the pan is boiling over."');

/** Not given, or left empty: the documented default. */
const checkSystemPrompt = (value: unknown) =>
	checkPrompt(
		'System Prompt',
		value === undefined || value === null || (typeof value === 'string' && value.trim() === '') ? DEFAULT_SYSTEM_PROMPT : value,
		`Describe the model's role, or use the default "${DEFAULT_SYSTEM_PROMPT}"`,
	);

const checkCallbackUrl = (value: unknown) =>
	checkUrl(
		'Callback URL',
		value,
		['http', 'https'],
		'https://your-server.example.com/memories/results',
		'memories.ai posts each result to this public address,',
	);

function orThrow<T>(field: string, check: Check<T>): T {
	if (!check.ok) throw new InputError(field, check.problem);
	return check.value;
}

/** One field at a time, e.g. for an editor's validators. @throws InputError */
export const validateRtmpUrl = (value: unknown): string => orThrow('RTMP URL', checkRtmpUrl(value));
export const validateCallbackUrl = (value: unknown): string => orThrow('Callback URL', checkCallbackUrl(value));
export const validateUserPrompt = (value: unknown): string => orThrow('User Prompt', checkUserPrompt(value));
export const validateSystemPrompt = (value: unknown): string => orThrow('System Prompt', checkSystemPrompt(value));

/**
 * The public base URL at which the API reaches a host for callbacks (a Node-RED config field).
 * Empty means "not set"; a set value is an absolute http(s) URL without query or fragment.
 * @throws InputError
 */
export function validatePublicUrl(value: unknown): string {
	if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) return '';
	const url = orThrow(
		'Public URL',
		checkUrl('Public URL', value, ['http', 'https'], 'https://nodered.example.com', 'memories.ai reaches this host there,'),
	);
	if (/[?#]/.test(url)) throw new InputError('Public URL', 'Public URL must not contain "?" or "#" parts.');
	return url.replace(/\/+$/, '');
}

/**
 * Checks everything Start needs, reporting every problem at once.
 * @throws InputError naming the fields to fix
 */
export function validateStartInput(input: StartInput): StartParams {
	const checks = {
		rtmpUrl: checkRtmpUrl(input.rtmpUrl),
		userPrompt: checkUserPrompt(input.userPrompt),
		systemPrompt: checkSystemPrompt(input.systemPrompt),
		callbackUrl: checkCallbackUrl(input.callbackUrl),
		thinking: checkThinking(input.thinking),
	};
	const failed = Object.entries(checks).filter(([, c]) => !c.ok) as Array<[string, { ok: false; problem: string }]>;
	if (failed.length > 0) {
		const fields = failed.map(([name]) => FIELD_NAMES[name as keyof StartParams]);
		throw new InputError(fields.join(', '), failed.map(([, c]) => c.problem).join(' '));
	}
	const value = <T>(check: Check<T>) => (check as { value: T }).value;
	return {
		rtmpUrl: value(checks.rtmpUrl),
		userPrompt: value(checks.userPrompt),
		systemPrompt: value(checks.systemPrompt),
		callbackUrl: value(checks.callbackUrl),
		thinking: value(checks.thinking),
	};
}

const FIELD_NAMES: Record<keyof StartParams, string> = {
	rtmpUrl: 'RTMP URL',
	userPrompt: 'User Prompt',
	systemPrompt: 'System Prompt',
	callbackUrl: 'Callback URL',
	thinking: 'Thinking',
};

/** The characters a task id may have: they keep it a single path segment of the stop URL. */
const TASK_ID_CHARACTERS = /^[A-Za-z0-9._~-]+$/;

/**
 * The one task-id rule, for ids we send (Stop) and ids we receive (Start's answer, callbacks):
 * 1 to `Limits.taskIdLength` plain characters, and not "." or "..", which a URL resolves away
 * (a task answered with ".." could never be stopped).
 */
export function isTaskId(value: unknown): value is string {
	return (
		typeof value === 'string' &&
		value.length > 0 &&
		value.length <= Limits.taskIdLength &&
		TASK_ID_CHARACTERS.test(value) &&
		value !== '.' &&
		value !== '..'
	);
}

/** @throws InputError when the value cannot be a task id returned by Start */
export function validateTaskId(value: unknown): string {
	const text = typeof value === 'string' ? value.trim() : typeof value === 'number' ? String(value) : value;
	if (text === undefined || text === null || text === '') {
		throw new InputError('Task ID', 'Task ID is empty. Use the task_id that Start returned.');
	}
	if (typeof text !== 'string') throw new InputError('Task ID', 'Task ID must be text.');
	if (!isTaskId(text)) {
		throw new InputError(
			'Task ID',
			`Task ID is not one that Start returns: it may only contain letters, digits, "-", "_" and "." (at most ${Limits.taskIdLength}).`,
		);
	}
	return text;
}

/** Normalises the configured Base URL (default: the real service), without a trailing slash. */
export function validateBaseUrl(value: unknown): string {
	if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) {
		return DEFAULT_BASE_URL;
	}
	const example = `${DEFAULT_BASE_URL}, or a local sandbox such as http://127.0.0.1:4010`;
	if (typeof value !== 'string') throw new InputError('Base URL', `Base URL must be text, e.g. ${example}.`);
	const checked = checkUrl('Base URL', value, ['http', 'https'], example, 'It is where the API answers,');
	if (!checked.ok) throw new InputError('Base URL', checked.problem);
	const url = new URL(checked.value);
	if (url.search || url.hash) {
		throw new InputError('Base URL', 'Base URL must not contain "?" or "#" parts.');
	}
	return checked.value.replace(/\/+$/, '');
}

/** @throws InputError without ever repeating the key */
export function validateApiKey(value: unknown): string {
	const advice = 'Copy it from your memories.ai account (keys start with "sk-").';
	if (typeof value !== 'string' || value.trim() === '') {
		throw new InputError('API Key', `API Key is empty. ${advice}`);
	}
	const key = value.trim();
	if (/^bearer\s/i.test(key)) {
		throw new InputError('API Key', 'API Key must be the raw key, without "Bearer ".');
	}
	// eslint-disable-next-line no-control-regex
	if (/[\s\u0000-\u001f\u007f]/.test(key) || key.length > Limits.apiKeyLength) {
		throw new InputError(
			'API Key',
			`API Key contains spaces, line breaks or other characters a key cannot have. ${advice}`,
		);
	}
	return key;
}
