package dev.locallm.remote;

/** The contract suites against a fixture server that answers like VLLM (see {@link Family#VLLM}). */
class VllmFixtureTest extends FamilyContracts.WithToolsAndSchemas {
    VllmFixtureTest() {
        super(Family.VLLM);
    }
}
