// Placeholder so the stage library has a translation unit.
namespace logitrank {
[[maybe_unused]] static int io_stage_placeholder = 0;
}
