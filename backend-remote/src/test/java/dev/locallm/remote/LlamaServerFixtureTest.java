package dev.locallm.remote;

/** The contract suites against a fixture server that answers like LLAMA SERVER (see {@link Family#LLAMA_SERVER}). */
class LlamaServerFixtureTest extends FamilyContracts.WithToolsAndSchemas {
    LlamaServerFixtureTest() {
        super(Family.LLAMA_SERVER);
    }
}
