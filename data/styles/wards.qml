<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<!-- hotspot: incidents per ward (layer wards). Graduated colours on {{FIELD}} (a count such
     as n_all), one RANGES item per class (LOWER, UPPER, LABEL, COLOR as "r,g,b,a", INDEX);
     labels show the ward name and its count. Placeholders: FIELD, RANGES. -->
<qgis version="3.22.16" styleCategories="Symbology|Labeling" labelsEnabled="1">
  <renderer-v2 type="graduatedSymbol" attr="{{FIELD}}" graduatedMethod="GraduatedColor" symbollevels="0" forceraster="0" enableorderby="0" referencescale="-1">
    <ranges>
{{#RANGES}}      <range lower="{{LOWER}}" upper="{{UPPER}}" label="{{LABEL}}" symbol="{{INDEX}}" render="true"/>
{{/RANGES}}    </ranges>
    <symbols>
{{#RANGES}}      <symbol type="fill" name="{{INDEX}}" alpha="1" clip_to_extent="1" force_rhr="0">
        <layer class="SimpleFill" enabled="1" locked="0" pass="0">
          <prop k="color" v="{{COLOR}}"/>
          <prop k="outline_color" v="90,90,90,255"/>
          <prop k="outline_width" v="0.26"/>
          <prop k="outline_width_unit" v="MM"/>
          <prop k="style" v="solid"/>
        </layer>
      </symbol>
{{/RANGES}}    </symbols>
    <classificationMethod id="Custom">
      <symmetricMode enabled="0" astride="0" symmetrypoint="0"/>
      <labelFormat format="%1 - %2" trimtrailingzeroes="1" labelprecision="0"/>
      <parameters/>
      <extraInformation/>
    </classificationMethod>
    <rotation/>
    <sizescale/>
  </renderer-v2>
  <labeling type="simple">
    <settings calloutType="simple">
      <text-style fieldName="&quot;ward_name&quot; || '\n' || coalesce(&quot;{{FIELD}}&quot;, 0)" isExpression="1" fontSize="8" fontSizeUnit="Point" textColor="30,30,30,255" textOpacity="1" multilineHeight="1">
        <text-buffer bufferDraw="1" bufferSize="0.8" bufferSizeUnits="MM" bufferColor="255,255,255,255" bufferOpacity="0.8" bufferNoFill="1" bufferJoinStyle="128"/>
      </text-style>
      <text-format multilineAlign="1" wrapChar="" autoWrapLength="0"/>
      <placement placement="0" polygonPlacementFlags="2" fitInPolygonOnly="0" priority="5"/>
      <rendering drawLabels="1" obstacle="1" scaleVisibility="0" upsidedownLabels="0" labelPerPart="0"/>
    </settings>
  </labeling>
  <blendMode>0</blendMode>
  <featureBlendMode>0</featureBlendMode>
  <layerOpacity>1</layerOpacity>
  <layerGeometryType>2</layerGeometryType>
</qgis>
