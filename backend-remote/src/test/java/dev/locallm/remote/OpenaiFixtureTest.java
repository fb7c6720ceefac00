package dev.locallm.remote;

/** The contract suites against a fixture server that answers like OPENAI (see {@link Family#OPENAI}). */
class OpenaiFixtureTest extends FamilyContracts.WithTools {
    OpenaiFixtureTest() {
        super(Family.OPENAI);
    }
}
