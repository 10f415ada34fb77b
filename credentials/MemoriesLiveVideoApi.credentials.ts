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
	LegacyCode,
	STOP_PATH_PREFIX,
	authHeaders,
	validateApiKey,
	validateBaseUrl,
} from '../core';

/**
 * The API has no account endpoint. The test stops a task id that can never exist: "not found"
 * (status -1) proves the key was accepted, costs nothing and touches no stream.
 */
const CREDENTIAL_TEST_TASK_ID = 'n8n-credential-test-not-a-task';

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

	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		requestOptions: IHttpRequestOptions,
	): Promise<IHttpRequestOptions> {
		return {
			...requestOptions,
			baseURL: requestOptions.baseURL === undefined ? undefined : validateBaseUrl(requestOptions.baseURL),
			headers: { ...requestOptions.headers, ...authHeaders(validateApiKey(credentials.apiKey)) },
		};
	}

	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{$credentials.baseUrl}}',
			url: `${STOP_PATH_PREFIX}${CREDENTIAL_TEST_TASK_ID}`,
			method: 'POST',
			body: {},
			json: true,
		},
		rules: [
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'code',
					value: LegacyCode.badAuth,
					message: 'memories.ai did not accept this API key. Check it in your memories.ai account.',
				},
			},
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'code',
					value: LegacyCode.permissionDenied,
					message: 'This API key is not allowed to use live video understanding.',
				},
			},
		],
	};
}
