// Shared by the four nodes' editor scripts, loaded after the browser build of the core (see
// gulpfile.js): validators call the very rules the runtime applies, so the editor and the
// runtime cannot disagree. Browser JavaScript (ES5), served from the package's resources/.
(function () {
    "use strict";
    var api = window.MemoriesLiveVideo;
    if (api.editor) {
        return;
    }
    var core = api.core;
    api.editor = {
        core: core,

        /** A message from a node type's catalogue (works before a node of the type exists). */
        t: function (type, key, substitutions) {
            return RED.nodes.getType(type)._(type + "." + key, substitutions);
        },

        /**
         * A validator's answer from a core check: true when `check` passes, else the core's own
         * message for Node-RED 3.1+ (which passes `opt` and shows it), plain false for older editors.
         */
        check: function (opt, check) {
            try {
                check();
                return true;
            } catch (err) {
                return opt ? String((err && err.message) || err) : false;
            }
        },

        /** A failed check with a message from the type's catalogue (see `check`). */
        invalid: function (opt, type, key, substitutions) {
            return opt ? api.editor.t(type, key, substitutions) : false;
        },

        /** A value from the open edit dialog if there is one, else from the node itself. */
        current: function (node, property) {
            var input = $("#node-input-" + property);
            if (input.length === 0) {
                return node[property];
            }
            return input.attr("type") === "checkbox" ? input.prop("checked") : input.val();
        },

        /** The runtime's httpNodeRoot without a trailing slash ("" for "/"). */
        httpNodeRoot: function () {
            var root = RED.settings && typeof RED.settings.httpNodeRoot === "string" ? RED.settings.httpNodeRoot : "/";
            return root.replace(/\/+$/, "");
        },

        /** A new callback secret: as many random bytes as the runtime's own, base64url. */
        newSecret: function () {
            var bytes = new Uint8Array(core.SECRET_BYTES);
            window.crypto.getRandomValues(bytes);
            var binary = "";
            for (var i = 0; i < bytes.length; i++) {
                binary += String.fromCharCode(bytes[i]);
            }
            return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
        }
    };
})();
