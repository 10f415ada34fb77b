import fc from 'fast-check';

import { AnswerFields, ConditionInput, compileAnswerReader, compileCondition, validateAnswerFields } from '../../core';
import { KITCHEN_FIELDS } from './answer-corpus';
import { thrown } from './thrown';

const kitchen = validateAnswerFields(KITCHEN_FIELDS);
const answer = (fields: Partial<AnswerFields>, text = '') => ({
	text,
	fields: { boiling_over: false, people: 0, state: 'calm', note: '', ...fields } as AnswerFields,
});
const rules = (list: unknown[], combine?: 'all' | 'any'): ConditionInput => ({ type: 'fields', rules: list, combine });

describe('text conditions', () => {
	it('keywords: any one, case-insensitive unless asked, in either answer format', () => {
		const condition = compileCondition({ type: 'keywords', keywords: 'smoke, boiling over' });
		expect(condition.matches({ text: 'The pan is BOILING OVER' })).toBe(true);
		expect(condition.matches({ text: 'All calm', fields: answer({}).fields })).toBe(false);
		expect(compileCondition({ type: 'keywords', keywords: ['Smoke'], caseSensitive: true }).matches({ text: 'smoke' })).toBe(false);
		expect(condition.description).toBe('text contains "smoke" or "boiling over"');
	});

	it('keywords: refuses an empty list, like the result filter', () => {
		const error = thrown(() => compileCondition({ type: 'keywords', keywords: ' , ' }));
		expect(error.field).toBe('Keywords');
		expect(error.message).toMatch(/Keywords is empty/);
	});

	it('regex: the result filter\'s rules (literal form, flags, case)', () => {
		const condition = compileCondition({ type: 'regex', pattern: 'boil(ing)? over' });
		expect(condition.matches({ text: 'Boiling over!' })).toBe(true);
		expect(condition.matches({ text: 'Boiling over!' })).toBe(true); // no state kept between calls
		expect(compileCondition({ type: 'regex', pattern: '/^calm$/' }).matches({ text: 'Calm' })).toBe(false);
		expect(() => compileCondition({ type: 'regex', pattern: '(' })).toThrow(/Regular Expression is not valid/);
		expect(() => compileCondition({ type: 'regex', pattern: '/x/g' })).toThrow(/flags may only be/);
	});

	it('regex: only sees the first 10000 characters', () => {
		const condition = compileCondition({ type: 'regex', pattern: 'needle' });
		expect(condition.matches({ text: `${'x'.repeat(9994)}needle` })).toBe(true);
		expect(condition.matches({ text: `${'x'.repeat(10000)}needle` })).toBe(false);
	});

	it('refuses an unknown condition type', () => {
		expect(thrown(() => compileCondition({ type: 'sql' } as unknown as ConditionInput)).field).toBe('Conditions');
	});
});

describe('rules on fields', () => {
	it.each([
		[{ field: 'boiling_over', operator: 'is_true' }, { boiling_over: true }, { boiling_over: false }],
		[{ field: 'boiling_over', operator: 'is_false' }, { boiling_over: false }, { boiling_over: true }],
		[{ field: 'boiling_over', operator: 'equals', value: 'true' }, { boiling_over: true }, { boiling_over: false }],
		[{ field: 'boiling_over', operator: 'not_equals', value: true }, { boiling_over: false }, { boiling_over: true }],
		[{ field: 'people', operator: 'greater_than', value: '0' }, { people: 1 }, { people: 0 }],
		[{ field: 'people', operator: 'less_than', value: 2 }, { people: 1.5 }, { people: 2 }],
		[{ field: 'people', operator: 'equals', value: ' 3 ' }, { people: 3 }, { people: 3.1 }],
		[{ field: 'people', operator: 'not_equals', value: 0 }, { people: -1 }, { people: 0 }],
		[{ field: 'people', operator: 'is_one_of', value: '1, 2' }, { people: 2 }, { people: 3 }],
		[{ field: 'state', operator: 'equals', value: 'BOILING' }, { state: 'boiling' }, { state: 'simmering' }],
		[{ field: 'state', operator: 'not_equals', value: 'calm' }, { state: 'simmering' }, { state: 'calm' }],
		[{ field: 'state', operator: 'is_one_of', value: ['simmering', 'boiling'] }, { state: 'boiling' }, { state: 'calm' }],
		[{ field: 'note', operator: 'contains', value: 'Smoke' }, { note: 'thin smoke rises' }, { note: 'steam' }],
		[{ field: 'note', operator: 'equals', value: 'all  clear' }, { note: ' All clear ' }, { note: 'all clear!' }],
		[{ field: 'note', operator: 'not_equals', value: 'ok' }, { note: 'fire' }, { note: 'OK' }],
		[{ field: 'note', operator: 'is_one_of', value: 'fire, smoke' }, { note: 'Smoke' }, { note: 'steam' }],
		[{ field: 'people', operator: '>', value: 0 }, { people: 1 }, { people: 0 }],
		[{ field: 'state', operator: '≠', value: 'calm' }, { state: 'boiling' }, { state: 'calm' }],
		[{ field: 'state', operator: '!=', value: 'calm' }, { state: 'boiling' }, { state: 'calm' }],
		[{ field: 'boiling_over', operator: 'is true' }, { boiling_over: true }, { boiling_over: false }],
	])('%o holds for %o, not for %o', (rule, yes, no) => {
		const condition = compileCondition(rules([rule]), kitchen);
		expect(condition.matches(answer(yes))).toBe(true);
		expect(condition.matches(answer(no))).toBe(false);
	});

	it('compares text case-sensitively when asked', () => {
		const condition = compileCondition({ type: 'fields', rules: [{ field: 'note', operator: 'contains', value: 'Smoke' }], caseSensitive: true }, kitchen);
		expect(condition.matches(answer({ note: 'Smoke!' }))).toBe(true);
		expect(condition.matches(answer({ note: 'smoke!' }))).toBe(false);
	});

	it('combines with all (default) or any', () => {
		const list = [
			{ field: 'boiling_over', operator: 'is_true' },
			{ field: 'people', operator: 'equals', value: 0 },
		];
		const all = compileCondition(rules(list), kitchen);
		const any = compileCondition(rules(list, 'any'), kitchen);
		expect([all.matches(answer({ boiling_over: true, people: 0 })), all.matches(answer({ boiling_over: true, people: 1 }))]).toEqual([true, false]);
		expect([any.matches(answer({ boiling_over: false, people: 0 })), any.matches(answer({ boiling_over: false, people: 1 }))]).toEqual([true, false]);
		expect(all.description).toBe('boiling_over is true and people = 0');
		expect(any.description).toBe('boiling_over is true or people = 0');
	});

	it('holds for no answer without fields (text answers, parse errors), ≠ included', () => {
		const condition = compileCondition(rules([{ field: 'state', operator: 'not_equals', value: 'calm' }]), kitchen);
		expect(condition.matches({ text: 'boiling' })).toBe(false);
		expect(condition.matches({ text: 'boiling', fields: null })).toBe(false);
		expect(condition.matches({ text: 'boiling', fields: {} })).toBe(false);
	});

	it('is not fooled by fields named like Object methods', () => {
		const declared = validateAnswerFields([{ name: 'constructor', type: 'string' }, { name: 'valueOf', type: 'number' }]);
		const ne = compileCondition(rules([{ field: 'constructor', operator: 'not_equals', value: 'x' }]), declared);
		expect(ne.matches({ text: '', fields: {} })).toBe(false);
		expect(ne.matches({ text: '', fields: { constructor: 'y', valueOf: 1 } })).toBe(true);
		const oneOf = compileCondition(rules([{ field: 'valueOf', operator: 'is_one_of', value: '1' }]), declared);
		expect(oneOf.matches({ text: '', fields: {} })).toBe(false);
	});

	it('works on what the answer reader gives', () => {
		const read = compileAnswerReader(kitchen);
		const condition = compileCondition(rules([{ field: 'boiling_over', operator: 'is_true' }, { field: 'state', operator: 'equals', value: 'boiling' }]), kitchen);
		const reading = read.read('```json\n{"boiling_over": "yes", "people": "1", "state": "Boiling", "note": null}\n```');
		expect(reading.ok && condition.matches({ text: '', fields: reading.fields })).toBe(true);
	});

	it.each([
		['no rules', [], /Conditions has no rules/],
		['rules that are not a list', 'boiling_over is true', /Conditions has no rules/],
		['too many rules', Array.from({ length: 21 }, () => ({ field: 'boiling_over', operator: 'is_true' })), /21 rules; at most 20/],
		['an empty field', [{ operator: 'is_true' }], /^Rule 1: Field is empty\. Use one of the declared fields: boiling_over, people, state, note\.$/],
		['an undeclared field', [{ field: 'smoke', operator: 'is_true' }], /^Rule 1 \(smoke is_true\): "smoke" is not a declared field\. Use one of: boiling_over, people, state, note\.$/],
		['an empty operator', [{ field: 'people' }], /^Rule 1 \(people\): Operator is empty\. For "people" use =, ≠, >, <, is one of\.$/],
		['an unknown operator', [{ field: 'people', operator: 'between', value: 1 }], /Operator "between" is not known/],
		['> on a boolean', [{ field: 'boiling_over', operator: 'greater_than', value: 1 }], /^Rule 1 \(boiling_over greater_than\): ">" does not apply to "boiling_over" \(a boolean field\)\. Use is true, is false, =, ≠\.$/],
		['contains on a number', [{ field: 'people', operator: 'contains', value: 1 }], /"contains" does not apply to "people" \(a number field\)/],
		['is true on text', [{ field: 'note', operator: 'is_true' }], /"is true" does not apply to "note" \(a string field\)/],
		['< on a one-of field', [{ field: 'state', operator: 'less_than', value: 'boiling' }], /\(a one-of field\)\. Use =, ≠, is one of\.$/],
		['a missing value', [{ field: 'people', operator: 'greater_than' }], /^Rule 1 \(people greater_than\): Value is empty\. > needs a value to compare "people" with\.$/],
		['a missing option value', [{ field: 'state', operator: 'equals', value: ' ' }], /Value is empty\. = needs a value to compare "state" with: one of calm, simmering, boiling\.$/],
		['a word for a number', [{ field: 'people', operator: 'greater_than', value: 'two' }], /Value must be a number, e.g\. 2 \("people" is a number field; got "two"\)/],
		['a word for a boolean', [{ field: 'boiling_over', operator: 'equals', value: 'yes' }], /Value must be true or false/],
		['an undeclared option', [{ field: 'state', operator: 'equals', value: 'burning' }], /Value "burning" is not one of the options of "state": calm, simmering, boiling\./],
		['an undeclared option in a list', [{ field: 'state', operator: 'is_one_of', value: 'calm, burning' }], /Value "burning" is not one of the options/],
		['a list that is empty', [{ field: 'people', operator: 'is_one_of', value: ' , ' }], /Value must list the values to accept/],
		['a list of the wrong shape', [{ field: 'people', operator: 'is_one_of', value: { a: 1 } }], /Value must list the values/],
		['an object for text', [{ field: 'note', operator: 'equals', value: {} }], /Value must be text/],
		['a second bad rule', [{ field: 'people', operator: '>', value: 0 }, { field: 'nope', operator: '=' }], /^Rule 2 \(nope =\):/],
	])('refuses %s, naming the rule', (_, list, message) => {
		const error = thrown(() => compileCondition(rules(list as unknown[]), kitchen));
		expect(error.field).toBe('Conditions');
		expect(error.message).toMatch(message);
	});

	it('refuses an unknown combination, and rules without declared fields', () => {
		expect(() => compileCondition({ type: 'fields', combine: 'most' as 'all', rules: [{ field: 'people', operator: '>' }] }, kitchen)).toThrow(/Combine "most" is not known/);
		expect(() => compileCondition(rules([{ field: 'people', operator: '>', value: 1 }]), [])).toThrow(/need the answer format "JSON fields"/);
	});

	it('a number rule agrees with plain comparison for any numbers', () => {
		const gt = compileCondition(rules([{ field: 'people', operator: 'greater_than', value: 0 }]), kitchen);
		fc.assert(
			fc.property(fc.double({ noNaN: true }), fc.double({ noNaN: true, noDefaultInfinity: true }), (people, limit) => {
				const condition = compileCondition(rules([{ field: 'people', operator: '<', value: limit }]), kitchen);
				expect(condition.matches(answer({ people }))).toBe(people < limit);
				expect(gt.matches(answer({ people }))).toBe(people > 0);
			}),
		);
	});
});
