package dev.locallm.remote;

/** The contract suites against a fixture server that answers like TEXT GENERATION WEBUI (see {@link Family#TEXT_GENERATION_WEBUI}). */
class TextGenerationWebuiFixtureTest extends FamilyContracts {
    TextGenerationWebuiFixtureTest() {
        super(Family.TEXT_GENERATION_WEBUI);
    }
}
