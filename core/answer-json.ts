// A forgiving reader of the JSON a language model writes: JSON plus what models add to it
// (trailing commas, single quotes, unquoted keys and words, comments, Python's True/False/None,
// raw line breaks in strings). Objects come back as Maps: keys such as "__proto__" stay data.
// Never throws, never recurses deeper than MAX_DEPTH, and reads the text in one forward pass.

export type LooseValue = null | boolean | number | string | LooseValue[] | LooseObject;
export type LooseObject = Map<string, LooseValue>;

export type LooseParse = { ok: true; value: LooseValue; end: number } | { ok: false; error: string; at: number };

const MAX_DEPTH = 20;

const WORDS: Record<string, LooseValue> = {
	true: true,
	false: false,
	null: null,
	True: true,
	False: false,
	None: null,
	NaN: NaN,
	Infinity: Infinity,
};

const ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '0': '\0' };

class Failure {
	constructor(
		readonly error: string,
		readonly at: number,
	) {}
}

class Reader {
	position: number;

	constructor(
		private readonly text: string,
		start: number,
	) {
		this.position = start;
	}

	fail(error: string): never {
		throw new Failure(error, this.position);
	}

	skipSpace(): void {
		const text = this.text;
		while (this.position < text.length) {
			const c = text[this.position];
			if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\u00a0' || c === '\ufeff') {
				this.position++;
			} else if (c === '/' && text[this.position + 1] === '/') {
				const end = text.indexOf('\n', this.position);
				this.position = end === -1 ? text.length : end + 1;
			} else if (c === '/' && text[this.position + 1] === '*') {
				const end = text.indexOf('*/', this.position + 2);
				if (end === -1) this.fail('a comment is not closed');
				this.position = end + 2;
			} else {
				return;
			}
		}
	}

	value(depth: number): LooseValue {
		this.skipSpace();
		const c = this.text[this.position];
		if (c === undefined) this.fail('the text ends where a value should be');
		if (c === '{') return this.object(depth + 1);
		if (c === '[') return this.array(depth + 1);
		if (c === '"' || c === "'") return this.string(c);
		if (c === '-' || c === '+' || c === '.' || (c >= '0' && c <= '9')) return this.number();
		const word = this.word();
		if (word === '') this.fail(`unexpected "${c}"`);
		return Object.prototype.hasOwnProperty.call(WORDS, word) ? WORDS[word] : word;
	}

	private word(): string {
		const match = /^[A-Za-z_$][\w$]*/.exec(this.text.slice(this.position, this.position + 200));
		if (!match) return '';
		this.position += match[0].length;
		return match[0];
	}

	private number(): number {
		const match = /^[+-]?(?:Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)/.exec(this.text.slice(this.position, this.position + 400));
		if (!match) this.fail('a number is not valid');
		this.position += match[0].length;
		return Number(match[0]);
	}

	private string(quote: string): string {
		const text = this.text;
		let out = '';
		let i = this.position + 1;
		let from = i;
		for (;;) {
			const c = text[i];
			if (c === undefined) {
				this.position = i;
				this.fail('a string is not closed');
			}
			if (c === quote) break;
			if (c === '\\') {
				out += text.slice(from, i);
				const next = text[i + 1];
				if (next === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
					out += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
					i += 6;
				} else if (next === undefined) {
					i += 1;
				} else {
					out += ESCAPES[next] ?? (next === '\n' || next === '\r' ? '' : next);
					i += 2;
				}
				from = i;
				continue;
			}
			i++;
		}
		out += text.slice(from, i);
		this.position = i + 1;
		return out;
	}

	private key(): string {
		const c = this.text[this.position];
		if (c === '"' || c === "'") return this.string(c);
		const word = this.word();
		if (word === '') this.fail(c === undefined ? 'the text ends inside an object' : `a key was expected, found "${c}"`);
		return word;
	}

	private object(depth: number): LooseObject {
		if (depth > MAX_DEPTH) this.fail('objects are nested too deeply');
		this.position++; // {
		const object: LooseObject = new Map();
		for (;;) {
			this.skipSpace();
			if (this.text[this.position] === '}') {
				this.position++;
				return object;
			}
			const key = this.key();
			this.skipSpace();
			if (this.text[this.position] !== ':') this.fail(`":" was expected after the key "${key.slice(0, 40)}"`);
			this.position++;
			object.set(key, this.value(depth));
			this.skipSpace();
			const c = this.text[this.position];
			if (c === ',') this.position++;
			else if (c !== '}') this.fail(c === undefined ? 'the text ends inside an object' : `"," or "}" was expected, found "${c}"`);
		}
	}

	private array(depth: number): LooseValue[] {
		if (depth > MAX_DEPTH) this.fail('arrays are nested too deeply');
		this.position++; // [
		const array: LooseValue[] = [];
		for (;;) {
			this.skipSpace();
			if (this.text[this.position] === ']') {
				this.position++;
				return array;
			}
			array.push(this.value(depth));
			this.skipSpace();
			const c = this.text[this.position];
			if (c === ',') this.position++;
			else if (c !== ']') this.fail(c === undefined ? 'the text ends inside a list' : `"," or "]" was expected, found "${c}"`);
		}
	}
}

/** Reads one value starting at `start` (after optional white space); `end` is where it stopped. */
export function parseLooseJson(text: string, start = 0): LooseParse {
	const reader = new Reader(text, start);
	try {
		const value = reader.value(0);
		return { ok: true, value, end: reader.position };
	} catch (error) {
		if (error instanceof Failure) return { ok: false, error: error.error, at: error.at };
		throw error;
	}
}

export function isLooseObject(value: LooseValue | undefined): value is LooseObject {
	return value instanceof Map;
}
