// The condition a frame window's answer must meet: on the text (keywords or a regular
// expression, the same rules as the result filter's), or rules on JSON fields combined with
// all/any. Compiled once, when a node is configured: `matches` is then a few comparisons.
import type { AnswerField, AnswerFieldType, AnswerFields } from './answers';
import { optionKey } from './answers';
import { InputError } from './errors';
import { keywordMatcher, parseKeywords, parseRegex, regexMatcher } from './filter';

export type ConditionType = 'keywords' | 'regex' | 'fields';
export type RuleCombination = 'all' | 'any';
export type RuleOperator = 'is_true' | 'is_false' | 'equals' | 'not_equals' | 'greater_than' | 'less_than' | 'contains' | 'is_one_of';

export const RULE_OPERATORS: readonly RuleOperator[] = [
	'is_true',
	'is_false',
	'equals',
	'not_equals',
	'greater_than',
	'less_than',
	'contains',
	'is_one_of',
];

/** How editors show the operators. */
export const RULE_OPERATOR_LABELS: Readonly<Record<RuleOperator, string>> = {
	is_true: 'is true',
	is_false: 'is false',
	equals: '=',
	not_equals: '≠',
	greater_than: '>',
	less_than: '<',
	contains: 'contains',
	is_one_of: 'is one of',
};

/** The operators each field type allows, in the order an editor lists them. */
export const OPERATORS_BY_TYPE: Readonly<Record<AnswerFieldType, readonly RuleOperator[]>> = {
	boolean: ['is_true', 'is_false', 'equals', 'not_equals'],
	number: ['equals', 'not_equals', 'greater_than', 'less_than', 'is_one_of'],
	string: ['equals', 'not_equals', 'contains', 'is_one_of'],
	enum: ['equals', 'not_equals', 'is_one_of'],
};

/** Symbols people type (Node-RED msg properties, n8n expressions) for the same operators. */
const OPERATOR_ALIASES: Readonly<Record<string, RuleOperator>> = {
	'=': 'equals',
	'==': 'equals',
	'≠': 'not_equals',
	'!=': 'not_equals',
	'>': 'greater_than',
	'<': 'less_than',
	'is true': 'is_true',
	'is false': 'is_false',
	'is one of': 'is_one_of',
};

export interface FieldRuleInput {
	field?: unknown;
	operator?: unknown;
	/** Not needed for `is_true`/`is_false`; for `is_one_of` an array or comma-separated text. */
	value?: unknown;
}

export type ConditionInput =
	| { type: 'keywords'; keywords?: string | readonly string[]; caseSensitive?: boolean }
	| { type: 'regex'; pattern?: string; caseSensitive?: boolean }
	| { type: 'fields'; combine?: RuleCombination; rules?: unknown; caseSensitive?: boolean };

/** What a condition looks at: the answer's text and, in JSON mode, its parsed fields. */
export interface ConditionAnswer {
	text: string;
	/** Absent or null when the answer is text, or could not be parsed: no field rule holds then. */
	fields?: AnswerFields | null;
}

export interface Condition {
	readonly type: ConditionType;
	matches(answer: ConditionAnswer): boolean;
	/** E.g. `boiling_over is true and people > 0`, for statuses and summaries. */
	readonly description: string;
}

/** The words editors use (InputError.field). */
export const CONDITIONS_LABEL = 'Conditions';

export const MAX_CONDITION_RULES = 20;

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function normaliseText(text: string, caseSensitive: boolean): string {
	const collapsed = text.trim().replace(/\s+/g, ' ');
	return caseSensitive ? collapsed : collapsed.toLowerCase();
}

function readOperator(value: unknown): RuleOperator | undefined {
	if (typeof value !== 'string') return undefined;
	const text = value.trim();
	if ((RULE_OPERATORS as readonly string[]).includes(text)) return text as RuleOperator;
	return OPERATOR_ALIASES[text.toLowerCase()];
}

function listOf(value: unknown): unknown[] | undefined {
	if (typeof value === 'string') return value.split(',').map((v) => v.trim()).filter((v) => v !== '');
	if (Array.isArray(value)) return value.filter((v) => !(typeof v === 'string' && v.trim() === ''));
	return undefined;
}

function isEmpty(value: unknown): boolean {
	return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

type Test = (fields: AnswerFields) => boolean;

const has = (fields: AnswerFields, name: string) => Object.prototype.hasOwnProperty.call(fields, name);

interface RuleContext {
	where: string;
	field: AnswerField;
	operator: RuleOperator;
	value: unknown;
	caseSensitive: boolean;
}

function compileRule(rule: RuleContext): { test: Test; text: string } {
	const { where, field, operator } = rule;
	const fail = (problem: string) => new InputError(CONDITIONS_LABEL, `${where}: ${problem}`);
	const name = field.name;
	const label = RULE_OPERATOR_LABELS[operator];

	if (operator === 'is_true' || operator === 'is_false') {
		const wanted = operator === 'is_true';
		return { test: (f) => has(f, name) && f[name] === wanted, text: `${name} ${label}` };
	}
	if (isEmpty(rule.value)) {
		throw fail(`Value is empty. ${label} needs a value to compare "${name}" with${field.type === 'enum' ? `: one of ${field.options.join(', ')}` : ''}.`);
	}

	const one = (value: unknown): string | number | boolean => {
		switch (field.type) {
			case 'boolean': {
				const text = typeof value === 'boolean' ? String(value) : typeof value === 'string' ? value.trim().toLowerCase() : '';
				if (text !== 'true' && text !== 'false') throw fail(`Value must be true or false ("${name}" is a true-or-false field).`);
				return text === 'true';
			}
			case 'number': {
				const number = typeof value === 'number' ? value : typeof value === 'string' && DECIMAL.test(value.trim()) ? Number(value.trim()) : NaN;
				if (!Number.isFinite(number)) throw fail(`Value must be a number, e.g. 2 ("${name}" is a number field; got ${JSON.stringify(value)}).`);
				return number;
			}
			case 'enum': {
				const key = typeof value === 'string' || typeof value === 'number' ? optionKey(String(value)) : '';
				const option = field.options.find((o) => optionKey(o) === key);
				if (option === undefined) {
					throw fail(`Value ${JSON.stringify(value)} is not one of the options of "${name}": ${field.options.join(', ')}.`);
				}
				return option;
			}
			default:
				if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') throw fail('Value must be text.');
				return String(value);
		}
	};
	const shown = (v: string | number | boolean) => (typeof v === 'string' ? JSON.stringify(v) : String(v));

	if (operator === 'is_one_of') {
		const list = listOf(rule.value);
		if (list === undefined || list.length === 0) throw fail('Value must list the values to accept, separated by commas.');
		const values = list.map(one);
		const text = `${name} ${label} ${values.map(shown).join(', ')}`;
		if (field.type === 'string') {
			const keys = new Set(values.map((v) => normaliseText(String(v), rule.caseSensitive)));
			return { test: (f) => typeof f[name] === 'string' && keys.has(normaliseText(f[name] as string, rule.caseSensitive)), text };
		}
		const set = new Set(values);
		return { test: (f) => has(f, name) && set.has(f[name]), text };
	}

	const value = one(rule.value);
	const text = `${name} ${label} ${shown(value)}`;
	switch (operator) {
		case 'greater_than':
			return { test: (f) => typeof f[name] === 'number' && (f[name] as number) > (value as number), text };
		case 'less_than':
			return { test: (f) => typeof f[name] === 'number' && (f[name] as number) < (value as number), text };
		case 'contains': {
			const needle = normaliseText(value as string, rule.caseSensitive);
			if (needle === '') throw fail('Value is empty.');
			return { test: (f) => typeof f[name] === 'string' && normaliseText(f[name] as string, rule.caseSensitive).includes(needle), text };
		}
		default: {
			const wantedText = normaliseText(String(value), rule.caseSensitive);
			const equal: Test =
				field.type === 'string'
					? (f) => typeof f[name] === 'string' && normaliseText(f[name] as string, rule.caseSensitive) === wantedText
					: (f) => has(f, name) && f[name] === value;
			// ≠ holds only for a present value that differs: an answer without fields meets no rule.
			return operator === 'equals' ? { test: equal, text } : { test: (f) => has(f, name) && !equal(f), text };
		}
	}
}

function compileRules(input: Extract<ConditionInput, { type: 'fields' }>, declared: readonly AnswerField[]): Condition {
	const combine = input.combine ?? 'all';
	if (combine !== 'all' && combine !== 'any') {
		throw new InputError(CONDITIONS_LABEL, `Combine "${String(combine)}" is not known: use all (every rule holds) or any (one rule holds).`);
	}
	const rules = input.rules;
	if (!Array.isArray(rules) || rules.length === 0) {
		throw new InputError(CONDITIONS_LABEL, 'Conditions has no rules. Add a rule on a field, e.g. boiling_over is true.');
	}
	if (rules.length > MAX_CONDITION_RULES) {
		throw new InputError(CONDITIONS_LABEL, `Conditions has ${rules.length} rules; at most ${MAX_CONDITION_RULES} are allowed.`);
	}
	if (declared.length === 0) {
		throw new InputError(CONDITIONS_LABEL, 'Rules on fields need the answer format "JSON fields" with the fields declared.');
	}
	const byName = new Map(declared.map((f) => [f.name, f]));
	const compiled = rules.map((raw: unknown, index) => {
		const rule = (typeof raw === 'object' && raw !== null ? raw : {}) as FieldRuleInput;
		const fieldName = typeof rule.field === 'string' ? rule.field.trim() : '';
		const opText = typeof rule.operator === 'string' ? rule.operator.trim() : '';
		const where = `Rule ${index + 1}${fieldName ? ` (${fieldName}${opText ? ` ${opText}` : ''})` : ''}`;
		const fail = (problem: string) => new InputError(CONDITIONS_LABEL, `${where}: ${problem}`);
		if (fieldName === '') throw fail(`Field is empty. Use one of the declared fields: ${declared.map((f) => f.name).join(', ')}.`);
		const field = byName.get(fieldName);
		if (!field) throw fail(`"${fieldName}" is not a declared field. Use one of: ${declared.map((f) => f.name).join(', ')}.`);
		const operator = readOperator(rule.operator);
		const allowed = OPERATORS_BY_TYPE[field.type];
		const allowedText = allowed.map((o) => RULE_OPERATOR_LABELS[o]).join(', ');
		if (operator === undefined) throw fail(`Operator ${opText ? `"${opText}" is not known` : 'is empty'}. For "${fieldName}" use ${allowedText}.`);
		if (!allowed.includes(operator)) {
			throw fail(`"${RULE_OPERATOR_LABELS[operator]}" does not apply to "${fieldName}" (a ${field.type === 'enum' ? 'one-of' : field.type} field). Use ${allowedText}.`);
		}
		return compileRule({ where, field, operator, value: rule.value, caseSensitive: input.caseSensitive === true });
	});
	const tests = compiled.map((c) => c.test);
	const description = compiled.map((c) => c.text).join(combine === 'all' ? ' and ' : ' or ');
	const matchesFields: Test = combine === 'all' ? (f) => tests.every((t) => t(f)) : (f) => tests.some((t) => t(f));
	return {
		type: 'fields',
		description,
		matches: (answer) => answer.fields !== undefined && answer.fields !== null && matchesFields(answer.fields),
	};
}

/**
 * Compiles a condition once. `declared`: the JSON fields of the answer format (rules are checked
 * against them); text conditions work in either answer format, on the raw text.
 * @throws InputError naming the setting (Keywords, Regular Expression) or the rule to fix
 */
export function compileCondition(input: ConditionInput, declared: readonly AnswerField[] = []): Condition {
	switch (input.type) {
		case 'keywords': {
			const keywords = parseKeywords(input.keywords);
			const contains = keywordMatcher(keywords, input.caseSensitive);
			return {
				type: 'keywords',
				description: `text contains ${keywords.map((k) => JSON.stringify(k)).join(' or ')}`,
				matches: (answer) => contains(answer.text),
			};
		}
		case 'regex': {
			const regex = parseRegex(input.pattern, input.caseSensitive);
			const test = regexMatcher(regex);
			return { type: 'regex', description: `text matches ${String(regex)}`, matches: (answer) => test(answer.text) };
		}
		case 'fields':
			return compileRules(input, declared);
		default:
			throw new InputError(
				CONDITIONS_LABEL,
				`Condition type "${String((input as { type?: unknown }).type)}" is not known: use keywords, regex or fields.`,
			);
	}
}
