import {
	AnswerField,
	AnswerFieldLimits,
	answerInstruction,
	composeUserPrompt,
	validateAnswerFields,
	validateAnswerFormat,
} from '../../core';
import { thrown } from './thrown';

const kitchen = [
	{ name: 'boiling_over', type: 'boolean', description: 'Is the pan boiling over?' },
	{ name: 'people', type: 'number', description: 'How many people are in view?' },
	{ name: 'state', type: 'enum', options: 'calm, simmering, boiling', description: 'How the pan looks.' },
	{ name: 'note', type: 'string', description: 'Anything else worth knowing.' },
];

/** The exact text of ANSWER-FORMAT.md's example. */
const DOCUMENTED = `Answer with one JSON object only, and no other text. Use exactly these fields:
- "boiling_over" (true or false): Is the pan boiling over?
- "people" (number): How many people are in view?
- "state" (one of: "calm", "simmering", "boiling"): How the pan looks.
- "note" (string): Anything else worth knowing.
Example: {"boiling_over": false, "people": 0, "state": "calm", "note": "..."}`;

/** ANSWER-FORMAT.md's rules, as the sandbox applies them. */
const FIELD_LINE = /^- "([A-Za-z_][A-Za-z0-9_]*)" \((true or false|number|string|one of: "[^"]*"(?:, "[^"]*")*)\): (.*)$/;

describe('answer fields', () => {
	it('validates the kitchen example into declarations', () => {
		expect(validateAnswerFields(kitchen)).toEqual([
			{ name: 'boiling_over', type: 'boolean', options: [], description: 'Is the pan boiling over?' },
			{ name: 'people', type: 'number', options: [], description: 'How many people are in view?' },
			{ name: 'state', type: 'enum', options: ['calm', 'simmering', 'boiling'], description: 'How the pan looks.' },
			{ name: 'note', type: 'string', options: [], description: 'Anything else worth knowing.' },
		]);
	});

	it('reads what editors send: trimmed names, types in any case, options as arrays or lines, descriptions on one line', () => {
		const [field, other] = validateAnswerFields([
			{ name: '  state ', type: ' ENUM ', options: ['calm', ' boiling  over ', ''], description: '  How\n the   pan looks. ' },
			{ name: 'n', type: 'enum', options: 'a\nb,c,' },
		]);
		expect(field).toEqual({ name: 'state', type: 'enum', options: ['calm', 'boiling over'], description: 'How the pan looks.' });
		expect(other.options).toEqual(['a', 'b', 'c']);
	});

	it('ignores options on fields that are not "one of"', () => {
		expect(validateAnswerFields([{ name: 'x', type: 'string', options: 'a, b' }])[0].options).toEqual([]);
	});

	it.each([
		['not a list', 'x', /Fields must be a list/],
		['an empty list', [], /Fields is empty/],
		['too many fields', Array.from({ length: AnswerFieldLimits.fields + 1 }, (_, i) => ({ name: `f${i}`, type: 'string' })), /at most 20/],
		['a row that is not an object', ['boiling'], /^Field 1: must be an object/],
		['an empty name', [{ name: ' ', type: 'boolean' }], /^Field 1: Name is empty/],
		['a name that is not text', [{ name: 3, type: 'boolean' }], /^Field 1: Name must be text/],
		['a name with a space', [{ name: 'boiling over', type: 'boolean' }], /^Field 1 \("boiling over"\): Name is not a valid field name.*boiling_over/],
		['a name starting with a digit', [{ name: '2people', type: 'number' }], /Name is not a valid field name/],
		['a name too long', [{ name: 'a'.repeat(65), type: 'number' }], /longer than 64/],
		['__proto__', [{ name: '__proto__', type: 'number' }], /reserved/],
		['a duplicate name', [{ name: 'a', type: 'number' }, { name: 'a', type: 'string' }], /^Field 2 \("a"\): Name "a" is used twice/],
		['names differing in case or _ only', [{ name: 'boiling_over', type: 'boolean' }, { name: 'BoilingOver', type: 'boolean' }], /^Field 2 .*too close to "boiling_over"/],
		['an empty type', [{ name: 'a' }], /^Field 1 \("a"\): Type is empty\. Use one of boolean, number, string, enum/],
		['an unknown type', [{ name: 'a', type: 'list' }], /^Field 1 \("a"\): Type "list" is not known/],
		['a description that is not text', [{ name: 'a', type: 'number', description: 5 }], /Description must be text/],
		['a description too long', [{ name: 'a', type: 'number', description: 'x'.repeat(201) }], /Description is longer than 200 characters \(it has 201\)/],
		['an enum without options', [{ name: 'state', type: 'enum' }], /^Field 1 \("state"\): Options is empty/],
		['an enum with only empty options', [{ name: 'state', type: 'enum', options: ' , ,' }], /Options is empty/],
		['an enum with options of the wrong shape', [{ name: 'state', type: 'enum', options: { a: 1 } }], /Options must be a list/],
		['an enum with an object option', [{ name: 'state', type: 'enum', options: [{}] }], /Options must be text values/],
		['duplicate options', [{ name: 'state', type: 'enum', options: 'calm, boiling, calm' }], /Option "calm" is listed twice; remove one/],
		['options differing in case only', [{ name: 'state', type: 'enum', options: ['Calm', 'calm'] }], /Option "calm" is listed twice \(as "Calm": case does not count\)/],
		['an option with a quote', [{ name: 'state', type: 'enum', options: ['say "hi"'] }], /contains a quote/],
		['an option with a backslash', [{ name: 'state', type: 'enum', options: ['a\\b'] }], /a backslash/],
		['an option too long', [{ name: 'state', type: 'enum', options: ['x'.repeat(51)] }], /longer than 50/],
		['too many options', [{ name: 'state', type: 'enum', options: Array.from({ length: 21 }, (_, i) => `o${i}`) }], /21 values; at most 20/],
	])('refuses %s, naming the field and what to fix', (_, input, message) => {
		const error = thrown(() => validateAnswerFields(input));
		expect(error.field).toBe('Fields');
		expect(error.message).toMatch(message);
	});

	it('refuses a field list whose instruction would crowd the prompt', () => {
		const fields = Array.from({ length: 20 }, (_, i) => ({
			name: `field_${i}`,
			type: 'enum',
			options: Array.from({ length: 10 }, (_, j) => `option number ${j}`),
			description: 'd'.repeat(200),
		}));
		expect(thrown(() => validateAnswerFields(fields)).message).toMatch(/instruction \d+ characters long \(at most 6000\)/);
	});

	it('reads the answer format, text by default', () => {
		expect(validateAnswerFormat(undefined)).toEqual({ mode: 'text' });
		expect(validateAnswerFormat('text', 'ignored')).toEqual({ mode: 'text' });
		expect(validateAnswerFormat('JSON', kitchen)).toEqual({ mode: 'json', fields: validateAnswerFields(kitchen) });
		const error = thrown(() => validateAnswerFormat('xml'));
		expect(error.field).toBe('Answer Format');
		expect(() => validateAnswerFormat('json', [])).toThrow(/Fields is empty/);
	});
});

describe('answer instruction', () => {
	it('is exactly the text ANSWER-FORMAT.md specifies', () => {
		expect(answerInstruction(validateAnswerFields(kitchen))).toBe(DOCUMENTED);
	});

	it('is appended to the user prompt after one blank line', () => {
		const format = validateAnswerFormat('json', kitchen);
		expect(composeUserPrompt('Watch the pan.', format)).toBe(`Watch the pan.\n\n${DOCUMENTED}`);
		expect(composeUserPrompt('Watch the pan.\n\n  ', format)).toBe(`Watch the pan.\n\n${DOCUMENTED}`);
		expect(composeUserPrompt('', format)).toBe(DOCUMENTED);
	});

	it('leaves the prompt alone in text mode', () => {
		expect(composeUserPrompt('Watch the pan.\n', { mode: 'text' })).toBe('Watch the pan.\n');
	});

	it('ends a line without description at "):"', () => {
		const text = answerInstruction(validateAnswerFields([{ name: 'hot', type: 'boolean' }]));
		expect(text.split('\n')[1]).toBe('- "hot" (true or false):');
	});

	it('follows the recognisable rules for any valid declaration', () => {
		const fields: AnswerField[] = validateAnswerFields([
			{ name: '_x9', type: 'string', description: 'He said: "stop" (twice) – naïve ✓' },
			{ name: 'level', type: 'enum', options: ['low', 'very high', 'über', 'a,b'.split(',')[0]] },
			{ name: 'n', type: 'number', description: '' },
		]);
		const lines = answerInstruction(fields).split('\n');
		expect(lines[0]).toBe('Answer with one JSON object only, and no other text. Use exactly these fields:');
		const described = lines.slice(1, -1).map((line) => FIELD_LINE.exec(line.endsWith('):') ? `${line} ` : line));
		expect(described.map((m) => m?.[1])).toEqual(['_x9', 'level', 'n']);
		expect(described[1]?.[2]).toBe('one of: "low", "very high", "über", "a"');
		expect(described[0]?.[3]).toBe('He said: "stop" (twice) – naïve ✓');
		const example = lines[lines.length - 1];
		expect(example.startsWith('Example: ')).toBe(true);
		expect(JSON.parse(example.slice('Example: '.length))).toEqual({ _x9: '...', level: 'low', n: 0 });
	});
});
