// GraphiQL for the endpoint this page is served at; everything it loads comes from this app.
(function () {
  "use strict";
  var url = window.location.href.split("?")[0].split("#")[0];
  var fetcher = GraphiQL.createFetcher({ url: url });
  var explorer = GraphiQLPluginExplorer.explorerPlugin();
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      plugins: [explorer],
      defaultEditorToolsVisibility: true,
      isHeadersEditorEnabled: true,
      // Headers (the bearer token) stay in this browser's storage for this origin only.
      shouldPersistHeaders: true,
      inputValueDeprecation: true,
    })
  );
})();
