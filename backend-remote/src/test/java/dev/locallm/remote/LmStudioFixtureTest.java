package dev.locallm.remote;

/** The contract suites against a fixture server that answers like LM STUDIO (see {@link Family#LM_STUDIO}). */
class LmStudioFixtureTest extends FamilyContracts.WithToolsAndSchemas {
    LmStudioFixtureTest() {
        super(Family.LM_STUDIO);
    }
}
