import type {
	ICredentialDataDecryptedObject,
	ICredentialTestRequest,
	ICredentialType,
	IHttpRequestOptions,
	INodeProperties,
	Icon,
} from 'n8n-workflow';

import {
	DEFAULT_BASE_URL,
	KEY_CHECK_TASK_ID,
	STOP_PATH_PREFIX,
	MemoriesApiError,
	authHeaders,
	interpretStopResponse,
	keyCheckFailures,
	keyCheckRedirects,
	validateApiKey,
	validateBaseUrl,
} from '../core';

/** Same scheme, host and port: the only place the API key may go. */
function isSameOrigin(target: URL, baseUrl: string): boolean {
	return target.origin === new URL(baseUrl).origin;
}

/**
 * The core's message for an HTTP error answer to the key check, for n8n's responseCode rules (they only see the
 * status; without a rule n8n shows the bare status text, e.g. "Unauthorized").
 */
function httpFailure(httpStatus: number): string {
	try {
		interpretStopResponse(KEY_CHECK_TASK_ID, { httpStatus, body: { code: String(httpStatus) } });
	} catch (error) {
		if (error instanceof MemoriesApiError) return error.message;
	}
	return `memories.ai answered HTTP ${httpStatus}`;
}

export class MemoriesLiveVideoApi implements ICredentialType {
	name = 'memoriesLiveVideoApi';

	displayName = 'Memories.ai Live Video API';

	documentationUrl = 'https://github.com/memories-live-video/memories-live-video#credentials';

	icon: Icon = { light: 'file:../icons/memories.svg', dark: 'file:../icons/memories.dark.svg' };

	properties: INodeProperties[] = [
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description:
				'Your memories.ai API key (it starts with "sk-"). Sent as the raw Authorization header, without "Bearer".',
		},
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: DEFAULT_BASE_URL,
			description:
				'Where the API answers. Keep the default for memories.ai; use e.g. http://127.0.0.1:4010 for the local sandbox, or your proxy.',
		},
	];

	/**
	 * Adds the key, only to requests for the Base URL's origin, and never to a redirect's target:
	 * whatever builds the request, the key cannot go anywhere else.
	 */
	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		requestOptions: IHttpRequestOptions,
	): Promise<IHttpRequestOptions> {
		const baseURL = requestOptions.baseURL === undefined ? undefined : validateBaseUrl(requestOptions.baseURL);
		if (!isSameOrigin(new URL(requestOptions.url, baseURL), validateBaseUrl(credentials.baseUrl))) {
			throw Object.assign(new Error('The API key is only sent to the Base URL of the Memories.ai Live Video credential.'), {
				code: 'KEY_ORIGIN_REFUSED',
			});
		}
		return {
			...requestOptions,
			baseURL,
			headers: { ...requestOptions.headers, ...authHeaders(validateApiKey(credentials.apiKey)) },
			disableFollowRedirect: true,
			sendCredentialsOnCrossOriginRedirect: false,
		};
	}

	/** Stops a task id no task can have: "not found" proves the key (see core/key-check.ts). */
	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{$credentials.baseUrl}}',
			url: `${STOP_PATH_PREFIX}${KEY_CHECK_TASK_ID}`,
			method: 'POST',
			body: {},
			json: true,
			disableFollowRedirect: true,
			sendCredentialsOnCrossOriginRedirect: false,
		},
		// n8n's tester goes through mixed rules (body rules on a 2xx answer, code rules on an error), its type does not.
		rules: [
			...keyCheckFailures().map(({ key, value, message }) => ({ type: 'responseSuccessBody' as const, properties: { key, value, message } })),
			...[401, 403, 429, 500, 502, 503, 504].map((value) => ({ type: 'responseCode' as const, properties: { value, message: httpFailure(value) } })),
			// A redirect is never followed (disableFollowRedirect): the key only goes to the Base URL.
			...keyCheckRedirects().map(({ httpStatus, message }) => ({ type: 'responseCode' as const, properties: { value: httpStatus, message } })),
		] as unknown as ICredentialTestRequest['rules'],
	};
}
