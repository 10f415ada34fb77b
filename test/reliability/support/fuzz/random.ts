// The one seeded random generator of the reliability suite: same seed, same sequence, everywhere.

/** mulberry32: small, fast, and good enough to pick cases. */
export function prng(seed: number): () => number {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

export const URL_SAFE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

export interface Random {
	next(): number;
	/** An integer from min to max, both included. */
	int(min: number, max: number): number;
	pick<T>(items: readonly T[]): T;
	chance(p: number): boolean;
	/** `length` URL-safe characters. */
	word(length: number): string;
	/** Shuffles in place (Fisher–Yates) and returns the array. */
	shuffle<T>(items: T[]): T[];
}

export function seeded(seed: number): Random {
	const next = prng(seed);
	const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
	return {
		next,
		int,
		pick: (items) => items[Math.floor(next() * items.length)],
		chance: (p) => next() < p,
		word: (length) => Array.from({ length }, () => URL_SAFE[int(0, URL_SAFE.length - 1)]).join(''),
		shuffle(items) {
			for (let i = items.length - 1; i > 0; i--) {
				const j = Math.floor(next() * (i + 1));
				[items[i], items[j]] = [items[j], items[i]];
			}
			return items;
		},
	};
}
