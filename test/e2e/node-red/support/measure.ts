// Measurements taken inside the editor page (ES5, evaluated by the browser): what runs out of
// its box, and which node statuses overlap another node on the canvas.

/** Installs `window.measure` in the page. */
export const MEASURE = `(function () {
    function rect(el) { var r = el.getBoundingClientRect(); return { left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: r.width, height: r.height }; }
    function describe(el) { return el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + " " + JSON.stringify((el.textContent || "").trim().slice(0, 60)); }
    function visible(el) { var r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== "hidden"; }
    function shown(selector) { return Array.prototype.filter.call(document.querySelectorAll(selector), visible)[0]; }
    window.measure = {
        /**
         * Every visible element inside the first shown match of selector that reaches past its right
         * or left edge, or past those of the first shown match of bounds (what the user sees of it).
         */
        overflow: function (selector, bounds) {
            var box = shown(selector);
            if (!box) { throw new Error("nothing shown matches " + selector); }
            var edge = rect(bounds ? shown(bounds) : box);
            var out = [];
            if (box.scrollWidth > box.clientWidth + 1) { out.push({ element: describe(box), scrollWidth: box.scrollWidth, clientWidth: box.clientWidth }); }
            box.querySelectorAll("*").forEach(function (el) {
                if (!visible(el)) { return; }
                var r = rect(el);
                if (r.right > edge.right + 0.5 || r.left < edge.left - 0.5) {
                    out.push({ element: describe(el), right: Math.round(r.right), boxRight: Math.round(edge.right) });
                } else if (/^(BUTTON|LABEL|SPAN|DIV|P|CODE)$/.test(el.tagName) && el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0) {
                    // Text cut off inside its own element (a button too narrow for its label).
                    out.push({ element: describe(el), scrollWidth: el.scrollWidth, clientWidth: el.clientWidth });
                }
            });
            return out;
        },
        /** Each node's shown status (its label's box) and every other node's box it intersects. */
        statuses: function () {
            var nodes = [];
            document.querySelectorAll("#red-ui-workspace-chart g.red-ui-flow-node-group").forEach(function (g) {
                var body = g.querySelector(".red-ui-flow-node");
                var group = g.querySelector(".red-ui-flow-node-status-group");
                var label = g.querySelector(".red-ui-flow-node-status-label");
                nodes.push({
                    id: g.__data__.id, type: g.__data__.type, name: g.__data__.name || "",
                    box: rect(body),
                    status: group && group.style.display !== "none" && label.textContent ? { text: label.textContent, box: rect(label), textWidth: label.getComputedTextLength() } : null
                });
            });
            var chart = rect(document.getElementById("red-ui-workspace-chart"));
            return nodes.filter(function (n) { return n.status; }).map(function (n) {
                var s = n.status.box;
                var hits = nodes.filter(function (o) {
                    return o.id !== n.id && s.left < o.box.right && s.right > o.box.left && s.top < o.box.bottom && s.bottom > o.box.top;
                }).map(function (o) { return o.name || o.type; });
                var clipped = s.left < chart.left || s.right > chart.right || s.top < chart.top || s.bottom > chart.bottom;
                return { node: n.name || n.type, type: n.type, text: n.status.text, textWidth: n.status.textWidth, nodeLeft: n.box.left, statusRight: s.right, overlaps: hits, clipped: clipped };
            });
        },
        /** Width in pixels of text as the canvas draws a status label (the editor's own measure). */
        statusWidth: function (text) { return RED.view.calculateTextWidth(text, "red-ui-flow-node-status-label"); },
        /** The box of an element, for a screenshot. */
        box: function (selector) { var el = document.querySelector(selector); if (!el) { throw new Error("no element " + selector); } var r = el.getBoundingClientRect(); return { x: r.left, y: r.top, width: r.width, height: r.height }; },
        /** The middle of a node's inject button, to click it. */
        button: function (id) {
            var found = null;
            document.querySelectorAll("#red-ui-workspace-chart g.red-ui-flow-node-group").forEach(function (g) { if (g.__data__.id === id) { found = g; } });
            var r = rect(found.querySelector(".red-ui-flow-node-button-button"));
            return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
        }
    };
    return true;
})()`;
