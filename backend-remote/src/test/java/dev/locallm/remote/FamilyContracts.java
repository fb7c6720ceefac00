package dev.locallm.remote;

import static org.assertj.core.api.Assertions.assertThat;

import dev.locallm.ChatModel;
import dev.locallm.EmbeddingModel;
import dev.locallm.LocalLm;
import dev.locallm.chat.GenerationOptions;
import dev.locallm.testkit.ChatModelContract;
import dev.locallm.testkit.StructuredOutputContract;
import dev.locallm.testkit.ToolCallingContract;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The contract suites against one server family's fixture server; a subclass per family names it. The chat
 * contract runs for every family, tool calling where the family has tools ({@link WithTools}), structured
 * output where it also enforces schemas ({@link WithToolsAndSchemas}; elsewhere {@link RepairTest} covers the
 * re-asking). A family's test must extend exactly the class of what its family supports: nothing is skipped.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class FamilyContracts {
    final FamilyServer server;

    FamilyContracts(Family family) {
        boolean tools = family.calls != Family.Calls.NONE;
        if (tools != this instanceof WithTools || family.dialect.enforcesSchema() != this instanceof WithToolsAndSchemas) {
            throw new IllegalStateException(getClass().getSimpleName() + " must run exactly the suites " + family
                    + " supports: tools " + tools + ", schemas " + family.dialect.enforcesSchema());
        }
        this.server = new FamilyServer(family);
    }

    @AfterAll
    void stop() {
        server.close();
    }

    ChatModel open() {
        return LocalLm.chatModel(server.uri(""));
    }

    @Nested
    class Chat extends ChatModelContract {
        @Override
        protected ChatModel openModel() {
            return open();
        }

        @Override
        protected boolean detectsContextOverflow() {
            return server.family.errors != Family.Errors.NONE_TRUNCATES;
        }

        @Test
        void theDialectIsTheFamilys() {
            assertThat(model.capabilities().backend()).isEqualTo("remote (" + server.family.dialect.uriName() + ")");
        }

        @Test
        void rawCompletionStreamsTheStory() {
            assertThat(model.complete("Once", GenerationOptions.of(o -> o.maxTokens(5).temperature(0))).text())
                    .isEqualTo("Once upon a time there");
        }

        @Test
        void embeddings() {
            try (EmbeddingModel e = LocalLm.embeddingModel(server.uri("").replace("model=m", "model=e"))) {
                assertThat(e.dimension()).isEqualTo(8);
                assertThat(e.embed("a cat")).containsExactly(e.embed("a cat")).isNotEqualTo(e.embed("a dog"));
            }
        }
    }

    /** The suites of a family with tools. */
    abstract static class WithTools extends FamilyContracts {
        WithTools(Family family) {
            super(family);
        }

        @Nested
        class Tools extends ToolCallingContract {
            @Override
            protected ChatModel openModel() {
                return open();
            }
        }
    }

    /** The suites of a family with tools that also enforces JSON schemas. */
    abstract static class WithToolsAndSchemas extends WithTools {
        WithToolsAndSchemas(Family family) {
            super(family);
        }

        @Nested
        class Structured extends StructuredOutputContract {
            @Override
            protected ChatModel openModel() {
                return open();
            }
        }
    }
}
