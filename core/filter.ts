// The "Emit" rules: which results a receiver passes on. Stateless: "only when the text changes"
// compares with the previous text, which the result gate (gate.ts) remembers per stream.
import { InputError } from './errors';

/** Which results a receiver passes on. Ended events always pass: they say billing has stopped. */
export type FilterMode = 'all' | 'changes' | 'keywords' | 'regex';

export interface FilterOptions {
	mode: FilterMode;
	/** For `keywords`: a comma-separated list or an array; any one matching lets a result through. */
	keywords?: string | readonly string[];
	/** For `regex`: `boil(ing)? over` or `/boil(ing)? over/i`. */
	pattern?: string;
	caseSensitive?: boolean;
}

export const FILTER_MODES: readonly FilterMode[] = ['all', 'changes', 'keywords', 'regex'];

/** User regular expressions only ever see this much text, which bounds their run time. */
const MAX_MATCH_TEXT = 10000;

export function parseKeywords(keywords: string | readonly string[] | undefined): string[] {
	const list = typeof keywords === 'string' ? keywords.split(',') : (keywords ?? []);
	return list.map((k) => (typeof k === 'string' ? k.trim() : '')).filter((k) => k !== '');
}

/** @throws InputError with the engine's reason when the expression does not compile */
export function parseRegex(pattern: string | undefined, caseSensitive = false): RegExp {
	const text = (pattern ?? '').trim();
	if (text === '') {
		throw new InputError('Regular Expression', 'Regular Expression is empty. Example: boil(ing|ed)? over');
	}
	const literal = /^\/(.+)\/([a-z]*)$/s.exec(text);
	const source = literal ? literal[1] : text;
	let flags = literal ? literal[2] : caseSensitive ? '' : 'i';
	if (/[^imsu]/.test(flags)) {
		throw new InputError(
			'Regular Expression',
			`Regular Expression flags may only be i, m, s and u (got "${flags}").`,
		);
	}
	flags = [...new Set(flags)].join('');
	try {
		return new RegExp(source, flags);
	} catch (error) {
		const reason = error instanceof Error ? error.message.replace(/^Invalid regular expression: /, '') : 'invalid';
		throw new InputError(
			'Regular Expression',
			`Regular Expression is not valid (${reason}). Example: boil(ing|ed)? over`,
		);
	}
}

/** How results are compared for `changes`: surrounding and repeated white space does not count. */
export function normaliseText(text: string): string {
	return text.trim().replace(/\s+/g, ' ');
}

/** A filter's settings, checked and compiled. Ended events are not its business (they always pass). */
export interface FilterRule {
	mode: FilterMode;
	/**
	 * Whether a result passes. `previousText`: the stream's previous result, as `normaliseText`
	 * made it (for `changes`; undefined for the first).
	 */
	passes(text: string, previousText: string | undefined): boolean;
}

/**
 * The one keyword rule (Emit's filter and a condition's keywords): the text contains any of them.
 * @throws InputError for an empty list
 */
export function keywordMatcher(keywords: string[], caseSensitive: boolean | undefined): (text: string) => boolean {
	if (keywords.length === 0) {
		throw new InputError('Keywords', 'Keywords is empty. Enter words separated by commas, e.g. smoke, fire, boiling over');
	}
	const fold = (s: string) => (caseSensitive ? s : s.toLowerCase());
	const wanted = keywords.map(fold);
	return (text) => {
		const folded = fold(text);
		return wanted.some((k) => folded.includes(k));
	};
}

/** The one expression rule: tested on the text's first MAX_MATCH_TEXT characters (never g or y: test() keeps no position). */
export function regexMatcher(regex: RegExp): (text: string) => boolean {
	return (text) => regex.test(text.slice(0, MAX_MATCH_TEXT));
}

/**
 * @throws InputError for an unknown mode, an empty keyword list or an invalid expression
 */
export function compileFilter(options: FilterOptions): FilterRule {
	const mode = options.mode;
	switch (mode) {
		case 'all':
			return { mode, passes: () => true };
		case 'changes':
			return { mode, passes: (text, previousText) => normaliseText(text) !== previousText };
		case 'keywords':
			return { mode, passes: keywordMatcher(parseKeywords(options.keywords), options.caseSensitive) };
		case 'regex':
			return { mode, passes: regexMatcher(parseRegex(options.pattern, options.caseSensitive)) };
		default:
			throw new InputError('Emit', `Unknown filter "${String(mode)}": use one of ${FILTER_MODES.join(', ')}.`);
	}
}
