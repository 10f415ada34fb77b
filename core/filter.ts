import type { CallbackEvent } from './callback';
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
	/** How many tasks' last texts `changes` remembers. */
	maxTasks?: number;
}

export interface ResultFilter {
	accepts(event: CallbackEvent): boolean;
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

function normalise(text: string): string {
	return text.trim().replace(/\s+/g, ' ');
}

/**
 * @throws InputError for an unknown mode, an empty keyword list or an invalid expression
 */
export function createResultFilter(options: FilterOptions): ResultFilter {
	switch (options.mode) {
		case 'all':
			return { accepts: () => true };
		case 'changes': {
			const maxTasks = options.maxTasks ?? 1000;
			const lastText = new Map<string, string>();
			return {
				accepts(event) {
					if (event.ended) {
						lastText.delete(event.taskId);
						return true;
					}
					const text = normalise(event.text);
					const previous = lastText.get(event.taskId);
					lastText.delete(event.taskId); // re-insert: the map is kept in least-recent order
					lastText.set(event.taskId, text);
					if (lastText.size > maxTasks) lastText.delete(lastText.keys().next().value as string);
					return previous !== text;
				},
			};
		}
		case 'keywords': {
			const keywords = parseKeywords(options.keywords);
			if (keywords.length === 0) {
				throw new InputError('Keywords', 'Keywords is empty. Enter words separated by commas, e.g. smoke, fire, boiling over');
			}
			const fold = (s: string) => (options.caseSensitive ? s : s.toLowerCase());
			const wanted = keywords.map(fold);
			return { accepts: (event) => event.ended || wanted.some((k) => fold(event.text).includes(k)) };
		}
		case 'regex': {
			const regex = parseRegex(options.pattern, options.caseSensitive);
			return { accepts: (event) => event.ended || regex.test(event.text.slice(0, MAX_MATCH_TEXT)) };
		}
		default:
			throw new InputError('Emit', `Unknown filter "${String(options.mode)}": use one of ${FILTER_MODES.join(', ')}.`);
	}
}

/**
 * Drops repeated deliveries (the API documents no delivery guarantees): same task, same frame
 * window timestamp, same status. Remembers at most `capacity` deliveries.
 */
export function createDuplicateGuard(capacity = 10000): { isDuplicate(event: CallbackEvent): boolean } {
	const seen = new Set<string>();
	return {
		isDuplicate(event) {
			if (event.timestamp === null) return false; // nothing to tell two windows apart by
			const key = `${event.taskId}\u0000${event.timestamp}\u0000${event.status}`;
			if (seen.has(key)) return true;
			seen.add(key);
			if (seen.size > capacity) seen.delete(seen.values().next().value as string);
			return false;
		},
	};
}
