// Answer format: plain text (the API's own), or "JSON fields", our prompt convention (the API has
// no structured-output option). The user declares fields; the core checks the declarations and
// composes the instruction appended to the user prompt, in the exact words of ANSWER-FORMAT.md
// (the sandbox recognises that text on its own, as a model would read it).
import { InputError } from './errors';

export type AnswerFieldType = 'boolean' | 'number' | 'string' | 'enum';
export const ANSWER_FIELD_TYPES: readonly AnswerFieldType[] = ['boolean', 'number', 'string', 'enum'];

export type AnswerFieldValue = boolean | number | string;
/** A parsed answer: every declared field, with a value of its declared type. */
export type AnswerFields = Record<string, AnswerFieldValue>;

/** A field declaration that passed validation. */
export interface AnswerField {
	readonly name: string;
	readonly type: AnswerFieldType;
	/** The allowed values of an `enum` field, in the user's spelling; empty for other types. */
	readonly options: readonly string[];
	/** One line, whitespace collapsed; may be empty. */
	readonly description: string;
}

/** A declaration as an editor or a message property gives it, not yet checked. */
export interface AnswerFieldInput {
	name?: unknown;
	type?: unknown;
	/** For `enum`: an array, or one text with the options separated by commas or line breaks. */
	options?: unknown;
	description?: unknown;
}

export type AnswerFormat = { readonly mode: 'text' } | { readonly mode: 'json'; readonly fields: readonly AnswerField[] };
export type AnswerMode = AnswerFormat['mode'];

/** The words editors use for these settings (InputError.field). */
export const ANSWER_FORMAT_LABEL = 'Answer Format';
export const ANSWER_FIELDS_LABEL = 'Fields';

/** Keeps the instruction a small part of the prompt (the API's prompt limit applies to both together). */
export const AnswerFieldLimits = {
	fields: 20,
	nameLength: 64,
	descriptionLength: 200,
	options: 20,
	optionLength: 50,
	/** The whole instruction, header and example included. */
	instructionLength: 6000,
} as const;

/** ANSWER-FORMAT.md: `^[A-Za-z_][A-Za-z0-9_]{0,63}$`. */
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const INSTRUCTION_HEADER = 'Answer with one JSON object only, and no other text. Use exactly these fields:';

/**
 * Names are matched loosely in answers (case, `_`, spaces: see answer-parser.ts), so two
 * declarations that match the same keys would be ambiguous.
 */
export function fieldNameKey(name: string): string {
	return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** How options are compared in answers and rules: case and runs of white space do not count. */
export function optionKey(option: string): string {
	return option.trim().replace(/\s+/g, ' ').toLowerCase();
}

function collapse(text: string): string {
	return text.trim().replace(/\s+/g, ' ');
}

function describeField(index: number, name: unknown): string {
	return typeof name === 'string' && name.trim() !== '' ? `Field ${index + 1} ("${collapse(name).slice(0, 70)}")` : `Field ${index + 1}`;
}

function splitOptions(value: unknown): unknown[] | undefined {
	if (value === undefined || value === null) return [];
	if (typeof value === 'string') return value.split(/[,\n]/);
	return Array.isArray(value) ? value : undefined;
}

function validateOptions(where: string, value: unknown): string[] {
	const fail = (problem: string) => new InputError(ANSWER_FIELDS_LABEL, `${where}: ${problem}`);
	const list = splitOptions(value);
	if (list === undefined) throw fail('Options must be a list of values or one text with the values separated by commas.');
	const options: string[] = [];
	const seen = new Map<string, string>();
	for (const item of list) {
		if (typeof item !== 'string' && typeof item !== 'number' && typeof item !== 'boolean') {
			throw fail('Options must be text values, e.g. calm, simmering, boiling.');
		}
		const option = collapse(String(item));
		if (option === '') continue; // "calm, , boiling" or a trailing comma
		if (/["\\]/.test(option) || /[\u0000-\u001f\u007f]/.test(option)) {
			throw fail(`Option "${option.slice(0, 60)}" contains a quote, a backslash or a control character; remove it.`);
		}
		if (option.length > AnswerFieldLimits.optionLength) {
			throw fail(`Option "${option.slice(0, 30)}…" is longer than ${AnswerFieldLimits.optionLength} characters.`);
		}
		const key = optionKey(option);
		const earlier = seen.get(key);
		if (earlier !== undefined) {
			throw fail(`Option "${option}" is listed twice${earlier === option ? '' : ` (as "${earlier}": case does not count)`}; remove one.`);
		}
		seen.set(key, option);
		options.push(option);
	}
	if (options.length === 0) {
		throw fail('Options is empty. A "one of" field needs the values the model may answer, separated by commas, e.g. calm, simmering, boiling.');
	}
	if (options.length > AnswerFieldLimits.options) {
		throw fail(`Options has ${options.length} values; at most ${AnswerFieldLimits.options} are allowed.`);
	}
	return options;
}

function validateField(input: unknown, index: number, taken: Map<string, string>): AnswerField {
	const record = (typeof input === 'object' && input !== null && !Array.isArray(input) ? input : {}) as AnswerFieldInput;
	const where = describeField(index, record.name);
	const fail = (problem: string) => new InputError(ANSWER_FIELDS_LABEL, `${where}: ${problem}`);
	if (typeof input !== 'object' || input === null || Array.isArray(input)) throw fail('must be an object with a name and a type.');

	const rawName = record.name;
	if (rawName === undefined || rawName === null || (typeof rawName === 'string' && rawName.trim() === '')) {
		throw fail('Name is empty. Use letters, digits and _ (starting with a letter or _), e.g. boiling_over.');
	}
	if (typeof rawName !== 'string') throw fail('Name must be text, e.g. boiling_over.');
	const name = rawName.trim();
	if (!FIELD_NAME.test(name)) {
		const problem = name.length > AnswerFieldLimits.nameLength ? `is longer than ${AnswerFieldLimits.nameLength} characters` : 'is not a valid field name';
		throw fail(`Name ${problem}. Use letters, digits and _ (starting with a letter or _), e.g. boiling_over.`);
	}
	if (name === '__proto__') throw fail('Name "__proto__" is reserved; choose another name.');
	const earlier = taken.get(fieldNameKey(name));
	if (earlier !== undefined) {
		throw fail(
			earlier === name
				? `Name "${name}" is used twice; give each field its own name.`
				: `Name "${name}" is too close to "${earlier}" (answers are read ignoring case and _); give each field a distinct name.`,
		);
	}
	taken.set(fieldNameKey(name), name);

	const rawType = typeof record.type === 'string' ? record.type.trim().toLowerCase() : record.type;
	if (rawType === undefined || rawType === null || rawType === '') {
		throw fail(`Type is empty. Use one of ${ANSWER_FIELD_TYPES.join(', ')}.`);
	}
	if (!ANSWER_FIELD_TYPES.includes(rawType as AnswerFieldType)) {
		throw fail(`Type "${String(rawType).slice(0, 30)}" is not known. Use one of ${ANSWER_FIELD_TYPES.join(', ')}.`);
	}
	const type = rawType as AnswerFieldType;

	const rawDescription = record.description;
	if (rawDescription !== undefined && rawDescription !== null && typeof rawDescription !== 'string') {
		throw fail('Description must be text.');
	}
	const description = collapse(typeof rawDescription === 'string' ? rawDescription : '');
	if (description.length > AnswerFieldLimits.descriptionLength) {
		throw fail(`Description is longer than ${AnswerFieldLimits.descriptionLength} characters (it has ${description.length}); shorten it.`);
	}

	const options = type === 'enum' ? validateOptions(where, record.options) : [];
	return { name, type, options, description };
}

/**
 * Checks a field list (editor rows or message property), in order, stopping at the first problem.
 * @throws InputError (field "Fields") naming the field and what to fix
 */
export function validateAnswerFields(input: unknown): AnswerField[] {
	if (!Array.isArray(input)) {
		throw new InputError(ANSWER_FIELDS_LABEL, 'Fields must be a list of fields, each with a name and a type.');
	}
	if (input.length === 0) {
		throw new InputError(ANSWER_FIELDS_LABEL, 'Fields is empty. Add at least one field, e.g. boiling_over (true or false).');
	}
	if (input.length > AnswerFieldLimits.fields) {
		throw new InputError(ANSWER_FIELDS_LABEL, `Fields has ${input.length} fields; at most ${AnswerFieldLimits.fields} are allowed.`);
	}
	const taken = new Map<string, string>();
	const fields = input.map((field, index) => validateField(field, index, taken));
	const length = answerInstruction(fields).length;
	if (length > AnswerFieldLimits.instructionLength) {
		throw new InputError(
			ANSWER_FIELDS_LABEL,
			`Fields make the answer instruction ${length} characters long (at most ${AnswerFieldLimits.instructionLength}); shorten descriptions or options.`,
		);
	}
	return fields;
}

/**
 * The answer format from the editor: mode `text` (default) or `json` with its fields.
 * @throws InputError
 */
export function validateAnswerFormat(mode: unknown, fields?: unknown): AnswerFormat {
	const value = typeof mode === 'string' ? mode.trim().toLowerCase() : mode;
	if (value === undefined || value === null || value === '' || value === 'text') return { mode: 'text' };
	if (value === 'json') return { mode: 'json', fields: validateAnswerFields(fields) };
	throw new InputError(ANSWER_FORMAT_LABEL, `Answer Format "${String(value).slice(0, 30)}" is not known. Use text or json.`);
}

function typeText(field: AnswerField): string {
	switch (field.type) {
		case 'boolean':
			return 'true or false';
		case 'enum':
			return `one of: ${field.options.map((o) => `"${o}"`).join(', ')}`;
		default:
			return field.type;
	}
}

function exampleValue(field: AnswerField): string {
	switch (field.type) {
		case 'boolean':
			return 'false';
		case 'number':
			return '0';
		case 'enum':
			return JSON.stringify(field.options[0]);
		default:
			return '"..."';
	}
}

/** The instruction of ANSWER-FORMAT.md for validated fields (no leading blank line). */
export function answerInstruction(fields: readonly AnswerField[]): string {
	const lines = fields.map((f) => `- "${f.name}" (${typeText(f)}): ${f.description}`.trimEnd());
	const example = `{${fields.map((f) => `"${f.name}": ${exampleValue(f)}`).join(', ')}}`;
	return [INSTRUCTION_HEADER, ...lines, `Example: ${example}`].join('\n');
}

/**
 * The user prompt to send: unchanged for text answers; for JSON fields, the prompt, one blank line
 * and the instruction. Compose before validating the start input, so that the API's prompt length
 * limit applies to what is sent.
 */
export function composeUserPrompt(userPrompt: string, format: AnswerFormat): string {
	if (format.mode === 'text') return userPrompt;
	const prompt = userPrompt.trimEnd();
	const instruction = answerInstruction(format.fields);
	return prompt === '' ? instruction : `${prompt}\n\n${instruction}`;
}
