// Reads the fields out of a model's answer in JSON mode. Tolerant of what models do around and
// inside the object (fences, prose, JSON5-isms, "yes" for true, numbers as text, options in
// another case); strict about the result: every declared field present and of its declared type,
// or a parse error whose reason names the field. Nothing in between: a result item always carries
// complete, typed `fields`.
//
// The rule, precisely:
// 1. The answer is searched (its first ANSWER_SCAN_LIMIT characters) for JSON objects: at each
//    "{" a forgiving JSON reader (answer-json.ts) tries to read one; what it reads is skipped.
// 2. An object without any declared key whose only object value has some is unwrapped once
//    ({"answer": {...}}). Keys match exactly, else ignoring case and all but letters and digits.
// 3. An object is complete when every declared field is present and coerces to its type:
//    boolean: true/false, 1/0, or the words true/yes/y/1 and false/no/n/0 (any case, a trailing
//    "." or "!" allowed); number: a finite number, or text that is a plain decimal number;
//    enum: one of the options ignoring case and runs of spaces (a trailing "." allowed);
//    string: text, a number or boolean as text, null as "", a list of those joined with ", ".
// 4. The last complete object is the answer (reasoning, drafts and an echoed example come first).
// 5. Otherwise it is a parse error: "The answer is empty.", "No JSON object found in the answer.",
//    "The JSON object could not be read: <why> (at character N).", or, from the (last) object
//    with the most declared keys, "Field "x" is missing." / "Field "x" must be <type>; got <value>."
import type { AnswerField, AnswerFields, AnswerFieldValue } from './answers';
import { fieldNameKey, optionKey } from './answers';
import { LooseObject, LooseValue, isLooseObject, parseLooseJson } from './answer-json';
import { Limits } from './contract';

export type AnswerReading = { ok: true; fields: AnswerFields } | { ok: false; reason: string };

export interface AnswerReader {
	readonly fields: readonly AnswerField[];
	/** Never throws. */
	read(text: string): AnswerReading;
}

/** Only this much of an answer is searched for the object (a callback's text is never longer). */
export const ANSWER_SCAN_LIMIT = Limits.callbackTextLength;
/** Bounds the work on text full of braces: "{" positions tried, objects collected. */
const MAX_ATTEMPTS = 64;
const MAX_OBJECTS = 16;

const TRUE_WORDS = new Set(['true', 'yes', 'y', '1']);
const FALSE_WORDS = new Set(['false', 'no', 'n', '0']);
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

type Coercion = { ok: true; value: AnswerFieldValue } | { ok: false; expected: string };

function preview(value: LooseValue): string {
	if (isLooseObject(value)) return 'an object';
	if (Array.isArray(value)) return 'a list';
	if (typeof value === 'string') return value.length > 40 ? `${JSON.stringify(value.slice(0, 40)).slice(0, -1)}…"` : JSON.stringify(value);
	return String(value);
}

function cleanString(text: string): string {
	return text.replace(/\u0000/g, '').replace(LONE_SURROGATE, '\ufffd');
}

/** "Yes." / "TRUE" / "no!" as a word; "yes, a little" is not unambiguous and is refused. */
function word(text: string): string {
	return text.trim().toLowerCase().replace(/[.!]+$/, '');
}

function coercerFor(field: AnswerField): (value: LooseValue) => Coercion {
	switch (field.type) {
		case 'boolean':
			return (value) => {
				if (typeof value === 'boolean') return { ok: true, value };
				if (value === 1 || value === 0) return { ok: true, value: value === 1 };
				if (typeof value === 'string') {
					const w = word(value);
					if (TRUE_WORDS.has(w)) return { ok: true, value: true };
					if (FALSE_WORDS.has(w)) return { ok: true, value: false };
				}
				return { ok: false, expected: 'true or false' };
			};
		case 'number':
			return (value) => {
				if (typeof value === 'number' && Number.isFinite(value)) return { ok: true, value };
				if (typeof value === 'string' && DECIMAL.test(value.trim())) {
					const number = Number(value.trim());
					if (Number.isFinite(number)) return { ok: true, value: number };
				}
				return { ok: false, expected: 'a number' };
			};
		case 'enum': {
			const byKey = new Map(field.options.map((o) => [optionKey(o), o]));
			const expected = `one of ${field.options.map((o) => `"${o}"`).join(', ')}`;
			return (value) => {
				if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return { ok: false, expected };
				const text = String(value);
				const option = byKey.get(optionKey(text)) ?? byKey.get(optionKey(text).replace(/[.!]+$/, ''));
				return option === undefined ? { ok: false, expected } : { ok: true, value: option };
			};
		}
		default:
			return (value) => {
				if (typeof value === 'string') return { ok: true, value: cleanString(value) };
				if (typeof value === 'number' || typeof value === 'boolean') return { ok: true, value: String(value) };
				if (value === null) return { ok: true, value: '' }; // "note": null means there is nothing to note
				if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')) {
					return { ok: true, value: cleanString(value.join(', ')) };
				}
				return { ok: false, expected: 'text' };
			};
	}
}

interface CompiledField {
	field: AnswerField;
	key: string;
	coerce: (value: LooseValue) => Coercion;
}

type ObjectReading = { ok: true; fields: AnswerFields } | { ok: false; reason: string; found: number };

function lookup(object: LooseObject, compiled: CompiledField): LooseValue | undefined {
	if (object.has(compiled.field.name)) return object.get(compiled.field.name);
	for (const [key, value] of object) if (fieldNameKey(key) === compiled.key) return value;
	return undefined;
}

function readObject(object: LooseObject, compiled: readonly CompiledField[]): ObjectReading {
	const hasAny = (o: LooseObject) => compiled.some((c) => lookup(o, c) !== undefined);
	let source = object;
	if (!hasAny(object)) {
		// {"answer": {...}}: one object wrapped in another
		const inner = [...object.values()].filter(isLooseObject);
		if (inner.length === 1 && hasAny(inner[0])) source = inner[0];
	}
	const fields: AnswerFields = {};
	let found = 0;
	let problem: string | undefined;
	for (const c of compiled) {
		const value = lookup(source, c);
		if (value === undefined) {
			problem ??= `Field "${c.field.name}" is missing.`;
			continue;
		}
		found++;
		const coerced = c.coerce(value);
		if (coerced.ok) fields[c.field.name] = coerced.value;
		else problem ??= `Field "${c.field.name}" must be ${coerced.expected}; got ${preview(value)}.`;
	}
	return problem === undefined ? { ok: true, fields } : { ok: false, reason: problem, found };
}

/** Compiles the declared fields once; `read` is then called per callback. */
export function compileAnswerReader(fields: readonly AnswerField[]): AnswerReader {
	const compiled: CompiledField[] = fields.map((field) => ({ field, key: fieldNameKey(field.name), coerce: coercerFor(field) }));
	return {
		fields,
		read(text: string): AnswerReading {
			if (text.trim() === '') return { ok: false, reason: 'The answer is empty.' };
			const scanned = text.length > ANSWER_SCAN_LIMIT ? text.slice(0, ANSWER_SCAN_LIMIT) : text;
			const objects: LooseObject[] = [];
			let failure: { error: string; at: number } | undefined;
			let attempts = 0;
			let start = scanned.indexOf('{');
			while (start !== -1 && attempts < MAX_ATTEMPTS && objects.length < MAX_OBJECTS) {
				attempts++;
				const parsed = parseLooseJson(scanned, start);
				if (parsed.ok && isLooseObject(parsed.value)) {
					objects.push(parsed.value);
					start = scanned.indexOf('{', parsed.end);
				} else {
					if (!parsed.ok) failure ??= parsed;
					start = scanned.indexOf('{', start + 1);
				}
			}
			if (objects.length === 0) {
				return failure
					? { ok: false, reason: `The JSON object could not be read: ${failure.error} (at character ${failure.at + 1}).` }
					: { ok: false, reason: 'No JSON object found in the answer.' };
			}
			const readings = objects.map((o) => readObject(o, compiled));
			const complete = readings.filter((r): r is Extract<ObjectReading, { ok: true }> => r.ok);
			// Reasoning, drafts and an echoed example come before the answer: the last one is it.
			if (complete.length > 0) return { ok: true, fields: complete[complete.length - 1].fields };
			const failed = readings as Array<Extract<ObjectReading, { ok: false }>>;
			const best = failed.reduce((a, b) => (b.found >= a.found ? b : a));
			return { ok: false, reason: best.reason };
		},
	};
}

/** One-off convenience; hosts compile once with `compileAnswerReader`. */
export function readAnswer(text: string, fields: readonly AnswerField[]): AnswerReading {
	return compileAnswerReader(fields).read(text);
}
