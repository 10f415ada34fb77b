import fc from 'fast-check';

import {
	AnswerField,
	AnswerFields,
	LooseValue,
	answerInstruction,
	compileAnswerReader,
	isLooseObject,
	parseLooseJson,
	readAnswer,
	validateAnswerFields,
} from '../../core';
import { CORPUS, KITCHEN_FIELDS } from './answer-corpus';

const kitchen = validateAnswerFields(KITCHEN_FIELDS);
const reader = compileAnswerReader(kitchen);

/** Maps to plain objects, for comparing with JSON.parse. */
function plain(value: LooseValue): unknown {
	if (isLooseObject(value)) return Object.fromEntries([...value].map(([k, v]) => [k, plain(v)]));
	if (Array.isArray(value)) return value.map(plain);
	return value;
}

describe('the corpus of model answers', () => {
	it('has realistic variety: at least 80 answers, both readable and not', () => {
		expect(CORPUS.length).toBeGreaterThanOrEqual(80);
		expect(CORPUS.filter((e) => e.fields).length).toBeGreaterThan(40);
		expect(CORPUS.filter((e) => e.error).length).toBeGreaterThan(20);
		expect(new Set(CORPUS.map((e) => e.name)).size).toBe(CORPUS.length);
	});

	it.each(CORPUS.map((entry) => [entry.name, entry] as const))('%s', (_, entry) => {
		const reading = reader.read(entry.text);
		if (entry.fields) {
			expect(reading).toEqual({ ok: true, fields: entry.fields });
			// complete and typed, in declaration order
			if (reading.ok) expect(Object.keys(reading.fields)).toEqual(kitchen.map((f) => f.name));
		} else {
			expect(reading.ok).toBe(false);
			if (!reading.ok) expect(reading.reason).toMatch(entry.error as RegExp);
		}
	});
});

describe('reading answers', () => {
	it('reads the example of its own instruction', () => {
		const example = answerInstruction(kitchen).split('\n').pop() as string;
		expect(reader.read(example)).toEqual({ ok: true, fields: { boiling_over: false, people: 0, state: 'calm', note: '...' } });
	});

	it('gives options in the declared spelling', () => {
		const fields = validateAnswerFields([{ name: 'level', type: 'enum', options: ['Very High', 'low'] }]);
		expect(readAnswer('{"level": "very   high"}', fields)).toEqual({ ok: true, fields: { level: 'Very High' } });
		expect(readAnswer('{"level": "LOW!"}', fields)).toEqual({ ok: true, fields: { level: 'low' } });
	});

	it('compares numbers and booleans with options as text', () => {
		const fields = validateAnswerFields([{ name: 'burners', type: 'enum', options: '0, 1, 2+' }]);
		expect(readAnswer('{"burners": 1}', fields)).toEqual({ ok: true, fields: { burners: '1' } });
	});

	it('prefers the exact key over a looser one', () => {
		const fields = validateAnswerFields([{ name: 'hot', type: 'boolean' }]);
		expect(readAnswer('{"HOT": false, "hot": true}', fields)).toEqual({ ok: true, fields: { hot: true } });
		expect(readAnswer('{"HOT": false, "Hot": true}', fields)).toEqual({ ok: true, fields: { hot: false } });
	});

	it('unwraps only one level, and only when the outer object has no declared key', () => {
		const fields = validateAnswerFields([{ name: 'hot', type: 'boolean' }]);
		expect(readAnswer('{"a": {"b": {"hot": true}}}', fields)).toEqual({ ok: false, reason: 'Field "hot" is missing.' });
		expect(readAnswer('{"a": {"hot": true}, "b": {"hot": false}}', fields)).toEqual({ ok: false, reason: 'Field "hot" is missing.' });
	});

	it('accepts a field named like an Object method', () => {
		const fields = validateAnswerFields([{ name: 'constructor', type: 'string' }, { name: 'toString', type: 'number' }]);
		expect(readAnswer('{"constructor": "x", "toString": 2}', fields)).toEqual({ ok: true, fields: { constructor: 'x', toString: 2 } });
		expect(readAnswer('{"other": 1}', fields)).toEqual({ ok: false, reason: 'Field "constructor" is missing.' });
	});

	const fieldArb: fc.Arbitrary<AnswerField[]> = fc
		.uniqueArray(
			fc.record({
				name: fc.stringMatching(/^[a-z_][a-z0-9_]{0,10}$/),
				type: fc.constantFrom('boolean', 'number', 'string', 'enum'),
				options: fc.uniqueArray(fc.stringMatching(/^[a-z][a-z ]{0,8}[a-z]$/), { minLength: 1, maxLength: 5, selector: (o) => o.replace(/\s+/g, ' ') }),
			}),
			{ minLength: 1, maxLength: 6, selector: (f) => f.name.replace(/_/g, '') },
		)
		.filter((list) => list.every((f) => f.name !== '__proto__'))
		.map((list) => validateAnswerFields(list));

	const valueFor = (field: AnswerField): fc.Arbitrary<boolean | number | string> => {
		switch (field.type) {
			case 'boolean':
				return fc.boolean();
			case 'number':
				return fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })).map((n) => (Object.is(n, -0) ? 0 : n));
			case 'enum':
				return fc.constantFrom(...field.options);
			default:
				return fc.string({ unit: 'grapheme', maxLength: 30 });
		}
	};

	it('reads back any answer of the declared types, pretty or compact, with prose around it', () => {
		const scenario = fieldArb.chain((fields) =>
			fc.record({
				fields: fc.constant(fields),
				values: fc.tuple(...fields.map(valueFor)),
				indent: fc.constantFrom(0, 2, '\t'),
				before: fc.stringMatching(/^[^{}]{0,40}$/),
				after: fc.stringMatching(/^[^{}]{0,40}$/),
			}),
		);
		fc.assert(
			fc.property(scenario, ({ fields, values, indent, before, after }) => {
				const answer: AnswerFields = {};
				fields.forEach((f, i) => (answer[f.name] = values[i]));
				const text = `${before}${JSON.stringify(answer, null, indent)}${after}`;
				expect(compileAnswerReader(fields).read(text)).toEqual({ ok: true, fields: answer });
			}),
		);
	});

	it('never throws, and always says why, on any text', () => {
		const noisy = fc.string({ unit: fc.constantFrom('{', '}', '"', "'", ':', ',', '[', ']', '\\', '/', '*', 'a', '1', ' ', '\n', 't'), maxLength: 300 });
		fc.assert(
			fc.property(fc.oneof(noisy, fc.string()), (text) => {
				const reading = reader.read(text);
				if (!reading.ok) expect(reading.reason).toMatch(/\.$/);
				else expect(Object.keys(reading.fields)).toEqual(kitchen.map((f) => f.name));
			}),
		);
	});
});

describe('the forgiving JSON reader', () => {
	it('agrees with JSON.parse on any JSON', () => {
		fc.assert(
			fc.property(fc.json({ depthSize: 'small' }), (text) => {
				const parsed = parseLooseJson(text);
				expect(parsed.ok).toBe(true);
				if (parsed.ok) {
					expect(plain(parsed.value)).toEqual(JSON.parse(text));
					expect(text.slice(parsed.end).trim()).toBe('');
				}
			}),
		);
	});

	it('says where it stopped, and what it read', () => {
		const text = 'x = {"a": [1, 2,], b: \'c\'} tail';
		expect(parseLooseJson(text, 4)).toEqual({
			ok: true,
			value: new Map<string, LooseValue>([
				['a', [1, 2]],
				['b', 'c'],
			]),
			end: text.length - ' tail'.length,
		});
		expect(parseLooseJson('{"a": }')).toEqual({ ok: false, error: 'unexpected "}"', at: 6 });
		expect(parseLooseJson('')).toEqual({ ok: false, error: 'the text ends where a value should be', at: 0 });
		expect(parseLooseJson('[1 2]')).toEqual({ ok: false, error: '"," or "]" was expected, found "2"', at: 3 });
	});

	it('reads the escapes JSON and JSON5 know', () => {
		const text = '"\\b\\f\\n\\r\\t\\v\\0\\/\\\\\\"\\\'\\q\\\nx" tail';
		expect(parseLooseJson(text)).toEqual({ ok: true, value: '\b\f\n\r\t\v\0/\\"\'qx', end: text.length - ' tail'.length });
	});

	it('keeps "__proto__" as data', () => {
		const parsed = parseLooseJson('{"__proto__": {"x": 1}}');
		expect(parsed.ok && isLooseObject(parsed.value) && [...parsed.value.keys()]).toEqual(['__proto__']);
		expect(({} as Record<string, unknown>).x).toBeUndefined();
	});
});
