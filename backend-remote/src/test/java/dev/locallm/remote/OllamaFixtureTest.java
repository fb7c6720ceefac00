package dev.locallm.remote;

/** The contract suites against a fixture server that answers like OLLAMA (see {@link Family#OLLAMA}). */
class OllamaFixtureTest extends FamilyContracts.WithToolsAndSchemas {
    OllamaFixtureTest() {
        super(Family.OLLAMA);
    }
}
