<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<!-- hotspot: Getis-Ord Gi* hot and cold spots (layers wards_<group> and grid_<group>).
     Categorised on {{FIELD}} (Gi_Bin, -3..3) with the seven confidence classes and colours of
     the ArcGIS Hot Spot Analysis renderer; the last, empty category catches NULL (islands:
     no neighbour but themselves). Placeholders: LAYER, FIELD. -->
<qgis version="3.22.16" styleCategories="Symbology|Labeling" labelsEnabled="0">
  <renderer-v2 type="categorizedSymbol" attr="{{FIELD}}" symbollevels="0" forceraster="0" enableorderby="0" referencescale="-1">
    <categories>
      <category value="3" label="Hot spot - 99% confidence" symbol="0" render="true"/>
      <category value="2" label="Hot spot - 95% confidence" symbol="1" render="true"/>
      <category value="1" label="Hot spot - 90% confidence" symbol="2" render="true"/>
      <category value="0" label="Not significant" symbol="3" render="true"/>
      <category value="-1" label="Cold spot - 90% confidence" symbol="4" render="true"/>
      <category value="-2" label="Cold spot - 95% confidence" symbol="5" render="true"/>
      <category value="-3" label="Cold spot - 99% confidence" symbol="6" render="true"/>
      <category value="" label="No neighbours (not tested)" symbol="7" render="true"/>
    </categories>
    <symbols>
      <symbol type="fill" name="0" alpha="1" clip_to_extent="1" force_rhr="0">
        <layer class="SimpleFill" enabled="1" locked="0" pass="0">
          <prop k="color" v="214,47,39,255"/>
          <prop k="outline_color" v="128,128,128,255"/>
          <prop k="outline_width" v="0.1"/>
          <prop k="outline_width_unit" v="MM"/>
          <prop k="style" v="solid"/>
        </layer>
      </symbol>
      <symbol type="fill" name="1" alpha="1" clip_to_extent="1" force_rhr="0">
        <layer class="SimpleFill" enabled="1" locked="0" pass="0">
          <prop k="color" v="237,117,81,255"/>
          <prop k="outline_color" v="128,128,128,255"/>
          <prop k="outline_width" v="0.1"/>
          <prop k="outline_width_unit" v="MM"/>
          <prop k="style" v="solid"/>
        </layer>
      </symbol>
      <symbol type="fill" name="2" alpha="1" clip_to_extent="1" force_rhr="0">
        <layer class="SimpleFill" enabled="1" locked="0" pass="0">
          <prop k="color" v="250,185,132,255"/>
          <prop k="outline_color" v="128,128,128,255"/>
          <prop k="outline_width" v="0.1"/>
          <prop k="outline_width_unit" v="MM"/>
          <prop k="style" v="solid"/>
        </layer>
      </symbol>
      <symbol type="fill" name="3" alpha="1" clip_to_extent="1" force_rhr="0">
        <layer class="SimpleFill" enabled="1" locked="0" pass="0">
          <prop k="color" v="247,247,242,255"/>
          <prop k="outline_color" v="128,128,128,255"/>
          <prop k="outline_width" v="0.1"/>
          <prop k="outline_width_unit" v="MM"/>
          <prop k="style" v="solid"/>
        </layer>
      </symbol>
      <symbol type="fill" name="4" alpha="1" clip_to_extent="1" force_rhr="0">
        <layer class="SimpleFill" enabled="1" locked="0" pass="0">
          <prop k="color" v="181,200,224,255"/>
          <prop k="outline_color" v="128,128,128,255"/>
          <prop k="outline_width" v="0.1"/>
          <prop k="outline_width_unit" v="MM"/>
          <prop k="style" v="solid"/>
        </layer>
      </symbol>
      <symbol type="fill" name="5" alpha="1" clip_to_extent="1" force_rhr="0">
        <layer class="SimpleFill" enabled="1" locked="0" pass="0">
          <prop k="color" v="117,144,193,255"/>
          <prop k="outline_color" v="128,128,128,255"/>
          <prop k="outline_width" v="0.1"/>
          <prop k="outline_width_unit" v="MM"/>
          <prop k="style" v="solid"/>
        </layer>
      </symbol>
      <symbol type="fill" name="6" alpha="1" clip_to_extent="1" force_rhr="0">
        <layer class="SimpleFill" enabled="1" locked="0" pass="0">
          <prop k="color" v="69,117,181,255"/>
          <prop k="outline_color" v="128,128,128,255"/>
          <prop k="outline_width" v="0.1"/>
          <prop k="outline_width_unit" v="MM"/>
          <prop k="style" v="solid"/>
        </layer>
      </symbol>
      <symbol type="fill" name="7" alpha="1" clip_to_extent="1" force_rhr="0">
        <layer class="SimpleFill" enabled="1" locked="0" pass="0">
          <prop k="color" v="200,200,200,255"/>
          <prop k="outline_color" v="128,128,128,255"/>
          <prop k="outline_width" v="0.1"/>
          <prop k="outline_width_unit" v="MM"/>
          <prop k="style" v="b_diagonal"/>
        </layer>
      </symbol>
    </symbols>
    <rotation/>
    <sizescale/>
  </renderer-v2>
  <blendMode>0</blendMode>
  <featureBlendMode>0</featureBlendMode>
  <layerOpacity>1</layerOpacity>
  <layerGeometryType>2</layerGeometryType>
</qgis>
