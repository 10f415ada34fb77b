import type { INodeProperties } from 'n8n-workflow';

import { startDescription } from './start';
import { stopDescription } from './stop';

export { executeStart } from './start';
export { executeStop } from './stop';

export const streamDescription: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['stream'] } },
		options: [
			{
				name: 'Start',
				value: 'start',
				description: 'Start analysing a live RTMP stream with a prompt; results go to the callback URL',
				action: 'Start analysing a live stream',
			},
			{
				name: 'Stop',
				value: 'stop',
				description: 'Stop a running stream analysis and its billing',
				action: 'Stop analysing a live stream',
			},
		],
		default: 'start',
	},
	...startDescription,
	...stopDescription,
];
