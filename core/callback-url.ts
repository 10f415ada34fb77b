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

/**
 * The query of a callback URL as it arrived, read the way the service may have mangled it: it
 * appends its own `?task_id=…` to our URL as it is (`…?token=X?task_id=Y`), so a second `?`
 * separates parameters like `&`. Values are percent-decoded (`+` is a space); one that cannot
 * be decoded is left out. Parameters in order, names may repeat.
 */
export function rawQueryParams(requestTarget: string | undefined): Array<[string, string]> {
	if (requestTarget === undefined) return [];
	const start = requestTarget.indexOf('?');
	if (start < 0) return [];
	const query = requestTarget.slice(start + 1).split('#')[0];
	const params: Array<[string, string]> = [];
	for (const part of query.split(/[&?]/)) {
		if (part === '') continue;
		const equals = part.indexOf('=');
		try {
			const decode = (text: string) => decodeURIComponent(text.replace(/\+/g, ' '));
			params.push(equals < 0 ? [decode(part), ''] : [decode(part.slice(0, equals)), decode(part.slice(equals + 1))]);
		} catch {
			// a broken escape (%G1): that parameter cannot be read
		}
	}
	return params;
}

/** The value of the one parameter `name` among `params`; undefined when missing or repeated. */
export function singleParam(params: ReadonlyArray<[string, string]>, name: string): string | undefined {
	const values = params.filter(([key]) => key === name);
	return values.length === 1 ? values[0][1] : undefined;
}

/**
 * The secrets a callback request presents: the `token` of its raw URL (read as `rawQueryParams`
 * does), and the one the host's framework parsed, when that differs (a user's token may contain
 * a `?`). Repeated tokens present none.
 */
export function presentedTokens(query: unknown, requestTarget: string | undefined): string[] {
	const tokens: string[] = [];
	const params = rawQueryParams(requestTarget);
	const fromRaw = singleParam(params, CALLBACK_TOKEN_PARAM);
	const repeated = params.filter(([key]) => key === CALLBACK_TOKEN_PARAM).length > 1;
	if (fromRaw !== undefined) tokens.push(fromRaw);
	const parsed = tokenFromQuery(query);
	if (parsed !== undefined && !repeated && !tokens.includes(parsed)) tokens.push(parsed);
	return tokens;
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
