-- The 16 reports of one batch for org.example.editor (examples/registries/desktop-editor.yaml, v3), random
-- allowed values, daily reports for `day`; shared by ingest.lua and ingest-shape.lua (loaded with dofile).
local function pick(t) return t[math.random(#t)] end

function candor_reports(day)
  return {
    string.format('{"metric":"system.os","value":"%s"}', pick({"linux", "windows", "macos", "other"})),
    string.format('{"metric":"system.desktop","value":"%s"}', pick({"gnome", "kde", "xfce", "windows", "macos"})),
    string.format('{"metric":"system.arch","value":"%s"}', pick({"x86_64", "aarch64"})),
    string.format('{"metric":"system.ram_gb","value":%d}', pick({2, 4, 8, 16, 32})),
    string.format('{"metric":"system.displays","value":%d}', pick({1, 2, 3})),
    string.format('{"metric":"install.age_days","value":%d}', pick({0, 1, 2, 3})),
    string.format('{"metric":"app.launches","value":%d}', pick({1, 2, 5, 10, 20})),
    string.format('{"metric":"files.opened","period":"%s","value":%d}', day, pick({1, 2, 5, 10})),
    string.format('{"metric":"files.type_opened","value":"%s"}', pick({"text", "markdown", "python", "rust", "json"})),
    string.format('{"metric":"feature.spellcheck","value":%s}', pick({"true", "false"})),
    string.format('{"metric":"feature.split_view","value":%s}', pick({"true", "false"})),
    string.format('{"metric":"feature.dark_theme","value":%s}', pick({"true", "false"})),
    string.format('{"metric":"startup.ms","period":"%s","value":{"100":%d,"250":%d}}', day, math.random(1, 5), math.random(1, 3)),
    string.format('{"metric":"search.ms","value":{"10":%d,"50":%d}}', math.random(1, 9), math.random(1, 4)),
    string.format('{"metric":"app.crashes","value":%d}', pick({0, 1, 2})),
    string.format('{"metric":"candor.active","period":"%s","value":true}', day),
  }
end
