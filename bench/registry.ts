/** Every benchmark `npm run bench` knows, in the order it runs them. */
import type { Benchmark } from './figure.js'
import { constraintsTest } from './constraintsTest.js'
import { constraintsRealistic } from './constraintsRealistic.js'
import { proveBatchTest } from './proveBatch.js'
import { l1Gas } from './l1Gas.js'
import { riskMargin } from './riskMargin.js'
import { riskPricing } from './riskPricing.js'
import { proveSlotTest } from './circuitCost.js'
import { l1GasPerTrade } from './l1GasPerTrade.js'
import { eddsaVerify } from './eddsaVerify.js'
import { leafUpdates } from './leafUpdates.js'
import { matching } from './matching.js'
import { journalReplay } from './journalReplay.js'
import { signedOrders } from './signedOrders.js'

export const benchmarks: Benchmark[] = [constraintsTest, constraintsRealistic, proveBatchTest, proveSlotTest, l1Gas, l1GasPerTrade, riskMargin, riskPricing, eddsaVerify, leafUpdates, matching, journalReplay, signedOrders]
