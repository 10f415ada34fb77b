import { CALLBACK_TOKEN_PARAM } from './contract';
import { InputError } from './errors';

/** Adds (or replaces) the secret in a callback URL. */
export function withCallbackToken(url: string, token: string): string {
	const parsed = new URL(url);
	parsed.searchParams.set(CALLBACK_TOKEN_PARAM, token);
	return parsed.toString();
}

/** A callback URL safe to show in logs and node status: the secret is masked. */
export function maskCallbackToken(url: string): string {
	try {
		const parsed = new URL(url);
		if (!parsed.searchParams.has(CALLBACK_TOKEN_PARAM)) return url;
		parsed.searchParams.set(CALLBACK_TOKEN_PARAM, '***');
		return parsed.toString();
	} catch {
		return url.replace(new RegExp(`([?&]${CALLBACK_TOKEN_PARAM}=)[^&#]*`, 'g'), '$1***');
	}
}

/** The secret a callback URL carries, if any. */
export function callbackTokenOf(url: string): string | undefined {
	try {
		return new URL(url).searchParams.get(CALLBACK_TOKEN_PARAM) ?? undefined;
	} catch {
		return undefined;
	}
}

/** The `token` query value from a host's parsed query object (`?token=a&token=b` is refused). */
export function tokenFromQuery(query: unknown): string | undefined {
	if (typeof query !== 'object' || query === null) return undefined;
	if (!Object.prototype.hasOwnProperty.call(query, CALLBACK_TOKEN_PARAM)) return undefined;
	const value = (query as Record<string, unknown>)[CALLBACK_TOKEN_PARAM];
	return typeof value === 'string' ? value : undefined;
}

/**
 * Builds the callback URL a host hands out: its public base URL, the path under which the host
 * serves HTTP routes, the receiver's own path, and the secret.
 */
export function buildCallbackUrl(publicBaseUrl: string, pathSegments: readonly string[], token: string): string {
	const base = new URL(publicBaseUrl);
	const segments = [base.pathname, ...pathSegments]
		.flatMap((segment) => segment.split('/'))
		.filter((segment) => segment !== '');
	base.pathname = `/${segments.join('/')}`;
	base.search = '';
	base.hash = '';
	return withCallbackToken(base.toString(), token);
}

/**
 * The path under which a host receives callbacks: one leading slash, no trailing slash, plain
 * characters only (web frameworks read ":", "*", "(" or "?" in a route as patterns).
 * @throws InputError
 */
export function normaliseReceiverPath(path: unknown): string {
	const text = typeof path === 'string' ? path.trim() : '';
	const segments = text.split('/').filter((s) => s !== '');
	if (segments.length === 0 || segments.some((s) => !/^[A-Za-z0-9._~-]+$/.test(s) || s === '.' || s === '..')) {
		throw new InputError('Path', 'Path may only contain letters, digits and / - _ . ~ (e.g. /memories/results).');
	}
	return `/${segments.join('/')}`;
}
