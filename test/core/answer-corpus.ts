// Model answers as vision-language models write them when asked for the kitchen fields of
// ANSWER-FORMAT.md (boiling_over: boolean, people: number, state: calm|simmering|boiling,
// note: string), with what the reader must make of each: the fields, or a parse error whose
// reason matches.
import type { AnswerFields } from '../../core';

export const KITCHEN_FIELDS = [
	{ name: 'boiling_over', type: 'boolean', description: 'Is the pan boiling over?' },
	{ name: 'people', type: 'number', description: 'How many people are in view?' },
	{ name: 'state', type: 'enum', options: 'calm, simmering, boiling', description: 'How the pan looks.' },
	{ name: 'note', type: 'string', description: 'Anything else worth knowing.' },
];

export interface CorpusEntry {
	name: string;
	text: string;
	fields?: AnswerFields;
	error?: RegExp;
}

const boil: AnswerFields = { boiling_over: true, people: 1, state: 'boiling', note: 'Foam over the rim.' };
const calm: AnswerFields = { boiling_over: false, people: 0, state: 'calm', note: '' };
const json = (fields: AnswerFields) => JSON.stringify(fields);
const spaced = (fields: AnswerFields) => JSON.stringify(fields, null, 2);

export const CORPUS: CorpusEntry[] = [
	// --- clean and almost clean JSON
	{ name: 'exact compact JSON', text: json(boil), fields: boil },
	{ name: 'pretty-printed JSON', text: spaced(boil), fields: boil },
	{ name: 'the example format with spaces', text: '{"boiling_over": false, "people": 0, "state": "calm", "note": ""}', fields: calm },
	{ name: 'leading and trailing white space', text: `\n\n   ${json(boil)}   \n`, fields: boil },
	{ name: 'byte order mark and no-break spaces', text: `\ufeff{\u00a0"boiling_over":\u00a0true, "people": 1, "state": "boiling", "note": "Foam over the rim."}`, fields: boil },
	{ name: 'Windows line endings', text: spaced(boil).replace(/\n/g, '\r\n'), fields: boil },
	{ name: 'fields in another order', text: '{"note": "Foam over the rim.", "state": "boiling", "people": 1, "boiling_over": true}', fields: boil },
	{ name: 'extra fields are ignored', text: '{"boiling_over": true, "people": 1, "state": "boiling", "note": "Foam over the rim.", "confidence": 0.93, "objects": ["pan", "hob"]}', fields: boil },
	{ name: 'a repeated key: the last one counts, as in JSON.parse', text: '{"people": 3, "boiling_over": true, "people": 1, "state": "boiling", "note": "Foam over the rim."}', fields: boil },

	// --- fences and prose
	{ name: 'json code fence', text: '```json\n' + spaced(boil) + '\n```', fields: boil },
	{ name: 'bare code fence', text: '```\n' + json(boil) + '\n```', fields: boil },
	{ name: 'JSON fence in capitals with text after it', text: '```JSON\n' + json(boil) + '\n```\nThe pot needs attention.', fields: boil },
	{ name: 'prose before', text: 'Here is the JSON for this frame window:\n' + json(boil), fields: boil },
	{ name: 'prose after', text: json(calm) + '\n\nLet me know if you need anything else!', fields: calm },
	{ name: 'markdown around a fence', text: '**Answer:**\n\n```json\n' + spaced(boil) + '\n```\n\n*Note: steam is visible.*', fields: boil },
	{ name: 'braces in the prose before the object', text: 'Using the format {field: value} you asked for: ' + json(boil), fields: boil },
	{ name: 'a sentence in braces before the object', text: 'I cannot see {the pan\'s lid} clearly. ' + json(calm), fields: calm },

	// --- JSON5-isms and other dialects
	{ name: 'trailing comma', text: '{"boiling_over": true, "people": 1, "state": "boiling", "note": "Foam over the rim.",}', fields: boil },
	{ name: 'trailing commas in a pretty object', text: '{\n  "boiling_over": false,\n  "people": 0,\n  "state": "calm",\n  "note": "",\n}\n', fields: calm },
	{ name: 'single quotes', text: "{'boiling_over': true, 'people': 1, 'state': 'boiling', 'note': 'Foam over the rim.'}", fields: boil },
	{ name: 'single-quoted string with an apostrophe escaped', text: "{'boiling_over': false, 'people': 0, 'state': 'calm', 'note': 'It\\'s quiet.'}", fields: { ...calm, note: "It's quiet." } },
	{ name: 'unquoted keys', text: '{boiling_over: true, people: 1, state: "boiling", note: "Foam over the rim."}', fields: boil },
	{ name: 'unquoted option word', text: '{"boiling_over": true, "people": 1, "state": boiling, "note": "Foam over the rim."}', fields: boil },
	{ name: 'comments in the object', text: '{\n  // what I see\n  "boiling_over": true, /* foam */\n  "people": 1,\n  "state": "boiling",\n  "note": "Foam over the rim."\n}', fields: boil },
	{ name: 'a comment with braces before the object', text: '// {not this}\n' + json(calm), fields: calm },
	{ name: 'Python literals', text: "{'boiling_over': True, 'people': 1, 'state': 'boiling', 'note': 'Foam over the rim.'}", fields: boil },
	{ name: 'Python None for the note', text: "{'boiling_over': False, 'people': 0, 'state': 'calm', 'note': None}", fields: calm },
	{ name: 'raw line break inside a string', text: '{"boiling_over": false, "people": 0, "state": "calm", "note": "line one\nline two"}', fields: { ...calm, note: 'line one\nline two' } },
	{ name: 'numbers with a plus sign, a bare dot and an exponent', text: '{"boiling_over": false, "people": +2, "state": "calm", "note": ""}', fields: { ...calm, people: 2 } },
	{ name: 'a decimal count', text: '{"boiling_over": false, "people": 2.0, "state": "calm", "note": ""}', fields: { ...calm, people: 2 } },

	// --- coercions
	{ name: '"yes" for true', text: '{"boiling_over": "yes", "people": 1, "state": "boiling", "note": "Foam over the rim."}', fields: boil },
	{ name: '"No." for false', text: '{"boiling_over": "No.", "people": 0, "state": "calm", "note": ""}', fields: calm },
	{ name: '"TRUE" in capitals', text: '{"boiling_over": "TRUE", "people": 1, "state": "boiling", "note": "Foam over the rim."}', fields: boil },
	{ name: '1 for true', text: '{"boiling_over": 1, "people": 1, "state": "boiling", "note": "Foam over the rim."}', fields: boil },
	{ name: 'count as text', text: '{"boiling_over": false, "people": "3", "state": "calm", "note": ""}', fields: { ...calm, people: 3 } },
	{ name: 'count as text with spaces and an exponent', text: '{"boiling_over": false, "people": " 1e1 ", "state": "calm", "note": ""}', fields: { ...calm, people: 10 } },
	{ name: 'option in capitals', text: '{"boiling_over": true, "people": 1, "state": "BOILING", "note": "Foam over the rim."}', fields: boil },
	{ name: 'option with a full stop and spaces', text: '{"boiling_over": false, "people": 0, "state": "  Calm. ", "note": ""}', fields: calm },
	{ name: 'note as a number', text: '{"boiling_over": false, "people": 0, "state": "calm", "note": 42}', fields: { ...calm, note: '42' } },
	{ name: 'note as a list', text: '{"boiling_over": false, "people": 0, "state": "calm", "note": ["steam", "lid rattling"]}', fields: { ...calm, note: 'steam, lid rattling' } },
	{ name: 'keys in another case', text: '{"Boiling_Over": true, "PEOPLE": 1, "State": "boiling", "Note": "Foam over the rim."}', fields: boil },
	{ name: 'keys with spaces and hyphens', text: '{"boiling over": true, "people": 1, "state": "boiling", "note": "Foam over the rim."}', fields: boil },
	{ name: 'keys in camel case', text: '{"boilingOver": true, "people": 1, "state": "boiling", "note": "Foam over the rim."}', fields: boil },

	// --- strings with nasty content
	{ name: 'braces inside a string', text: '{"boiling_over": false, "people": 0, "state": "calm", "note": "the lid {loose} rattles }{"}', fields: { ...calm, note: 'the lid {loose} rattles }{' } },
	{ name: 'escaped quotes inside a string', text: '{"boiling_over": false, "people": 0, "state": "calm", "note": "a sign says \\"HOT\\""}', fields: { ...calm, note: 'a sign says "HOT"' } },
	{ name: 'unicode text, emoji and CJK', text: '{"boiling_over": true, "people": 1, "state": "boiling", "note": "Überkochen 🔥 锅溢出了"}', fields: { ...boil, note: 'Überkochen 🔥 锅溢出了' } },
	{ name: 'unicode escapes', text: '{"boiling_over": false, "people": 0, "state": "calm", "note": "caf\\u00e9 \\ud83c\\udf73"}', fields: { ...calm, note: 'café 🍳' } },
	{ name: 'a lone surrogate escape becomes a replacement character', text: '{"boiling_over": false, "people": 0, "state": "calm", "note": "x\\ud83d"}', fields: { ...calm, note: 'x\ufffd' } },
	{ name: 'a NUL escape is removed', text: '{"boiling_over": false, "people": 0, "state": "calm", "note": "a\\u0000b"}', fields: { ...calm, note: 'ab' } },
	{ name: '__proto__ keys stay data', text: '{"__proto__": {"polluted": true}, "boiling_over": false, "people": 0, "state": "calm", "note": "", "constructor": 1}', fields: calm },

	// --- wrappers and several objects
	{ name: 'wrapped in an "answer" object', text: '{"answer": ' + json(boil) + '}', fields: boil },
	{ name: 'in a one-element list', text: '[' + json(boil) + ']', fields: boil },
	{ name: 'the same object twice', text: json(boil) + '\n' + json(boil), fields: boil },
	{ name: 'the echoed example, then the answer', text: 'Example: {"boiling_over": false, "people": 0, "state": "calm", "note": "..."}\nAnswer: ' + json(boil), fields: boil },
	{ name: 'reasoning with a draft, then the answer', text: '<think>At first I thought {"boiling_over": false, "people": 1, "state": "simmering", "note": "x"} but foam is visible.</think>\n' + json(boil), fields: boil },
	{ name: 'an unrelated object next to the answer', text: json(calm) + '\n{"confidence": 0.9}', fields: calm },
	{ name: 'a broken object, then a good one', text: '{"boiling_over": tru, "people"}\n' + json(calm), fields: calm },
	{ name: 'a good object inside a broken one', text: '{"result": ' + json(calm) + ', oops}', fields: calm },

	// --- parse errors
	{ name: 'an empty answer', text: '   \n ', error: /^The answer is empty\.$/ },
	{ name: 'plain prose', text: 'The pan is boiling over and one person is in view.', error: /^No JSON object found in the answer\.$/ },
	{ name: 'an object cut off', text: '{"boiling_over": true, "people": 1, "state": "boi', error: /^The JSON object could not be read: a string is not closed \(at character \d+\)\.$/ },
	{ name: 'a missing comma', text: '{"boiling_over": true "people": 1}', error: /^The JSON object could not be read: "," or "}" was expected, found """ \(at character 23\)\.$/ },
	{ name: 'smart quotes are not JSON', text: '{“boiling_over”: true, “people”: 1, “state”: “boiling”, “note”: “”}', error: /could not be read/ },
	{ name: 'braces in prose only', text: 'I see {nothing unusual}.', error: /could not be read/ },
	{ name: 'an object without the fields', text: 'Sure: {"status": "ok"}', error: /^Field "boiling_over" is missing\.$/ },
	{ name: 'a field missing', text: '{"boiling_over": true, "state": "boiling", "note": "Foam over the rim."}', error: /^Field "people" is missing\.$/ },
	{ name: 'a word for a number', text: '{"boiling_over": true, "people": "two", "state": "boiling", "note": ""}', error: /^Field "people" must be a number; got "two"\.$/ },
	{ name: 'a number with a unit', text: '{"boiling_over": true, "people": "2 people", "state": "boiling", "note": ""}', error: /^Field "people" must be a number; got "2 people"\.$/ },
	{ name: 'a decimal comma is ambiguous', text: '{"boiling_over": true, "people": "1,5", "state": "boiling", "note": ""}', error: /^Field "people" must be a number/ },
	{ name: 'null for a number', text: '{"boiling_over": true, "people": null, "state": "boiling", "note": ""}', error: /^Field "people" must be a number; got null\.$/ },
	{ name: 'NaN for a number', text: '{"boiling_over": true, "people": NaN, "state": "boiling", "note": ""}', error: /^Field "people" must be a number; got NaN\.$/ },
	{ name: 'Infinity for a number', text: '{"boiling_over": true, "people": Infinity, "state": "boiling", "note": ""}', error: /^Field "people" must be a number; got Infinity\.$/ },
	{ name: '"maybe" for a boolean', text: '{"boiling_over": "maybe", "people": 1, "state": "boiling", "note": ""}', error: /^Field "boiling_over" must be true or false; got "maybe"\.$/ },
	{ name: '"yes, a little" is not unambiguous', text: '{"boiling_over": "yes, a little", "people": 1, "state": "boiling", "note": ""}', error: /^Field "boiling_over" must be true or false/ },
	{ name: '2 for a boolean', text: '{"boiling_over": 2, "people": 1, "state": "boiling", "note": ""}', error: /^Field "boiling_over" must be true or false; got 2\.$/ },
	{ name: 'an option not declared', text: '{"boiling_over": true, "people": 1, "state": "bubbling", "note": ""}', error: /^Field "state" must be one of "calm", "simmering", "boiling"; got "bubbling"\.$/ },
	{ name: 'an object for the note', text: '{"boiling_over": true, "people": 1, "state": "boiling", "note": {"a": 1}}', error: /^Field "note" must be text; got an object\.$/ },
	{ name: 'a long wrong value is shown cut', text: `{"boiling_over": true, "people": "${'many '.repeat(30)}", "state": "boiling", "note": ""}`, error: /^Field "people" must be a number; got "many many many many many many many many …"\.$/ },
	{ name: 'the first problem of the most complete object', text: '{"boiling_over": true}\n{"boiling_over": true, "people": "x", "state": "nope"}', error: /^Field "people" must be a number; got "x"\.$/ },
	{ name: 'nesting too deep', text: '{"a":'.repeat(200) + '1' + '}'.repeat(200), error: /nested too deeply/ },
	{ name: 'a comment never closed', text: '{"boiling_over": true, /* the rest', error: /a comment is not closed/ },

	// --- size
	{ name: 'a huge prose before the object', text: 'steam '.repeat(15000) + json(boil), fields: boil },
	{ name: 'an object beyond the scanned part', text: 'x'.repeat(100001) + json(boil), error: /^No JSON object found in the answer\.$/ },
	{ name: 'thousands of braces', text: '{'.repeat(50000), error: /could not be read/ },
	{ name: 'thousands of broken objects before the answer', text: '{x} '.repeat(5000) + json(boil), error: /could not be read/ },
	{ name: 'a very long note', text: json({ ...calm, note: 'n'.repeat(50000) }), fields: { ...calm, note: 'n'.repeat(50000) } },
];
