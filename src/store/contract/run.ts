import { after, before, describe } from 'node:test';
import type { Store } from '../store.js';
import { adminContract } from './admin.contract.js';
import { conversationHandlersContract } from './conversation-handlers.contract.js';
import { conversationsContract } from './conversations.contract.js';
import { encryptionContract } from './encryption.contract.js';
import type { StoreFactory } from './harness.js';
import { exportsContract } from './exports.contract.js';
import { filesContract } from './files.contract.js';
import { identityContract } from './identity.contract.js';
import { messagesContract } from './messages.contract.js';
import { pushContract } from './push.contract.js';
import { scheduledMessagesContract } from './scheduled-messages.contract.js';
import { retentionContract } from './retention.contract.js';
import { searchContract } from './search.contract.js';

/**
 * Registers every port contract against one backend. A feature that adds a port adds its
 * `*.contract.ts` and one line here; both backends then run it.
 */
export function runStoreContracts(name: string, open: StoreFactory | undefined, skipReason?: string): void {
  describe(`store contract: ${name}`, { skip: skipReason ?? false }, () => {
    let store: Store | undefined;
    before(async () => {
      if (open) store = await open();
    });
    after(async () => {
      await store?.close();
    });
    const get = (): Store => {
      if (!store) throw new Error('store not opened');
      return store;
    };
    identityContract(get);
    conversationsContract(get);
    messagesContract(get);
    searchContract(get);
    filesContract(get);
    pushContract(get);
    encryptionContract(get);
    conversationHandlersContract(get);
    retentionContract(get);
    exportsContract(get);
    adminContract(get);
    scheduledMessagesContract(get);
  });
}
